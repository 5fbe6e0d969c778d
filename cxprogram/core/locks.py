"""A lock per scheduled job so two scheduler processes never do the same work at once.

PostgreSQL: a transaction-scoped advisory lock (released at commit or rollback, and by the
server if the process dies). SQLite: a file lock beside the database file (lock_file).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock
from flask import current_app
from sqlalchemy import text

from cxprogram.extensions import db


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for a job name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def job_lock(name: str) -> Iterator[None]:
    """Hold the lock called `name` for the current transaction (blocking until it is free)."""
    bind = db.session.get_bind()
    if bind.dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})
        yield
        return
    path = lock_file(bind.engine.url.database, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path)):
        yield


def lock_file(database: str | None, name: str) -> Path:
    """SQLite: the lock file beside the database file, so that every process using that file,
    and only those, share it (an in-memory database locks in the instance folder)."""
    if database and database != ":memory:":
        return Path(f"{database}.{name}.lock")
    return Path(current_app.instance_path) / "locks" / f"{name}.lock"
