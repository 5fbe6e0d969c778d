"""The shape every file import shares: read, plan (validate everything), then apply.

An importer turns a Table into an ImportPlan: the rows it would add, the rows that would
change something (with before and after), the rows already up to date, and every error.
Nothing is written while planning. `apply_plan` writes a valid plan and records one audit
event for the import as a whole (the importer records the per-entity events), so an import
is all or nothing inside the caller's single transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from cxprogram.auth.models import User
from cxprogram.core import audit
from cxprogram.imports.tabular import RowError, Table, TableError, read_table


@dataclass(frozen=True)
class PlannedRow:
    """What one row of the file would do: add, change or nothing (same)."""

    row: int
    action: str
    label: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


@dataclass
class ImportPlan:
    """The outcome of validating a whole file; `payload` is the importer's own prepared data."""

    filename: str
    rows: list[PlannedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    payload: Any = None

    @property
    def is_valid(self) -> bool:
        """True when the file has no error at all (all or nothing)."""
        return not self.errors

    def count(self, action: str) -> int:
        """How many rows add, change or leave things the same."""
        return sum(1 for r in self.rows if r.action == action)

    def of(self, action: str) -> list[PlannedRow]:
        """The planned rows with this action."""
        return [r for r in self.rows if r.action == action]


class Importer(Protocol):
    """One kind of file import (observations, departments, services, users...)."""

    kind: str  # the URL slug and the pending-upload kind
    title: str  # "Observations"
    required: tuple[str, ...]
    optional: tuple[str, ...]

    def may_use(self, user: User) -> bool:
        """Whether this user may upload this kind of file at all."""
        ...

    def plan(self, table: Table, actor: User | None) -> ImportPlan:
        """Validate every row (actor None: the command line, with full access); write nothing."""
        ...

    def apply(self, plan: ImportPlan, actor: User | None) -> dict[str, int]:
        """Write a valid plan (add and flush, audited per entity); return counts."""
        ...


def plan_file(
    importer: Importer, filename: str, content: bytes, actor: User | None, max_bytes: int
) -> ImportPlan:
    """Read and validate a file; unreadable files become a plan with file-level errors."""
    try:
        table = read_table(
            filename,
            content,
            required=importer.required,
            optional=importer.optional,
            max_bytes=max_bytes,
        )
    except TableError as error:
        return ImportPlan(filename, errors=list(error.errors))
    plan = importer.plan(table, actor)
    plan.filename = filename
    plan.errors.sort()
    return plan


def apply_plan(importer: Importer, plan: ImportPlan, actor: User | None) -> dict[str, int]:
    """Write a valid plan and audit the import itself; raises ValueError on an invalid plan."""
    if not plan.is_valid:
        raise ValueError("an import with errors cannot be applied")
    counts = importer.apply(plan, actor)
    audit.record(
        "import",
        f"import:{importer.kind}",
        plan.filename,
        actor=actor,
        after={"file": plan.filename, **counts},
    )
    return counts
