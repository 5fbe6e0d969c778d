"""Readiness: does the database answer, and is its schema at the migrations' head?"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app

from cxprogram.core.errors import DATABASE_DOWN
from cxprogram.extensions import db


@dataclass(frozen=True)
class Readiness:
    """Whether this process can serve: the database's state and its migration revisions."""

    database: str  # "ok" or "unreachable"
    current: tuple[str, ...] = ()
    head: tuple[str, ...] = ()
    detail: str = field(default="", compare=False)  # the driver's message, for the log only

    @property
    def is_ready(self) -> bool:
        """The database answers and holds exactly the head revision(s)."""
        return self.database == "ok" and bool(self.head) and set(self.current) == set(self.head)

    @property
    def reason(self) -> str:
        """Why the process is not ready ("" when it is)."""
        if self.database != "ok":
            return "database unreachable"
        return "" if self.is_ready else "database migrations not at head"


@lru_cache(maxsize=4)
def head_revisions(directory: str) -> tuple[str, ...]:
    """The head revision(s) of the migration scripts (read once per process)."""
    return tuple(sorted(ScriptDirectory(directory).get_heads()))


def readiness() -> Readiness:
    """Ask the database for its revision, on a connection of its own (not the request's)."""
    head = head_revisions(current_app.extensions["migrate"].directory)
    try:
        with db.engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_heads()
    except DATABASE_DOWN as error:
        return Readiness("unreachable", head=head, detail=str(getattr(error, "orig", error)))
    return Readiness("ok", current=tuple(sorted(current)), head=head)
