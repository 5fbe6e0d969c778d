"""A lock per scheduled job so two scheduler processes never do the same work at once.

PostgreSQL: a transaction-scoped advisory lock (released at commit or rollback, and by the
server if the process dies). SQLite: a file lock beside the database file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock
from sqlalchemy import text

from cxprogram.extensions import db


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for a job name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def job_lock(name: str, lock_dir: Path) -> Iterator[None]:
    """Hold the job's lock for the current transaction (blocking until it is free)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})
        yield
        return
    lock_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(lock_dir / f"{name}.lock")):
        yield
