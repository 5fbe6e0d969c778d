"""The shape every file import shares: read, plan (validate everything), then apply.

An importer turns a Table into an ImportPlan: the rows it would add, the rows that would
change something (with before and after), the rows already up to date, and every error.
Nothing is written while planning. `apply_plan` writes a valid plan and records one audit
event for the import as a whole (the importer records the per-entity events), so an import
is all or nothing inside the caller's single transaction.

A plan lists at most SHOWN errors; the rest are counted by reason (`more_errors`), so a
file of 100,000 bad rows gives a page of 200 lines, not of 100,000. `Preview` is what the
preview page shows of a plan, kept with the upload so that showing it again plans nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol

from flask import current_app, has_app_context

from config import ImportLimits
from cxprogram.auth.models import User
from cxprogram.core import audit
from cxprogram.imports.tabular import (
    RowError,
    Table,
    TableError,
    ignored_warnings,
    read_table,
)

SHOWN = 200  # errors listed, and rows shown per action, on the preview page
KINDS = 20  # reasons counted one by one beyond the listed errors
ACTIONS = ("add", "change", "same")


@dataclass(frozen=True)
class PlannedRow:
    """What one row of the file would do: add, change or nothing (same)."""

    row: int
    action: str
    label: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


@dataclass(frozen=True)
class ErrorGroup:
    """Rows that fail for one and the same reason in one column: how many, and the first."""

    column: str
    reason: str
    count: int
    first_rows: list[int]

    def __str__(self) -> str:
        rows = ", ".join(str(r) for r in self.first_rows)
        more = ", ..." if self.count > len(self.first_rows) else ""
        where = f"column {self.column}: " if self.column else ""
        return f"{self.count:,} rows (rows {rows}{more}): {where}{self.reason}"


FIRST_ROWS = 5  # rows named in each group of errors sharing a reason


def group_errors(errors: list[RowError]) -> list[ErrorGroup]:
    """The reasons that more than one row fails for, most rows first (at most KINDS)."""
    rows: dict[tuple[str, str], list[int]] = {}
    for error in errors:
        rows.setdefault((error.column, error.reason), []).append(error.row)
    groups = [ErrorGroup(column, reason, len(found), sorted(found)[:FIRST_ROWS])
              for (column, reason), found in rows.items() if len(found) > 1]  # fmt: skip
    groups.sort(key=lambda g: (-g.count, g.first_rows))
    return groups[:KINDS]


class _Errors:
    """What a plan and its kept preview say of their errors: the listed ones, the count of
    the rest by reason, and the reasons many rows share."""

    errors: list[RowError]
    more_errors: dict[str, int]
    error_groups: list[ErrorGroup]
    in_groups: int  # errors of a group beyond its first rows, not listed one by one

    @property
    def is_valid(self) -> bool:
        """True when the file has no error at all (all or nothing)."""
        return not self.errors

    @property
    def error_count(self) -> int:
        """Every error, listed or counted."""
        return len(self.errors) + sum(self.more_errors.values()) + self.in_groups


@dataclass
class ImportPlan(_Errors):
    """The outcome of validating a whole file; `payload` is the importer's own prepared data."""

    filename: str
    rows: list[PlannedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    payload: Any = None
    more_errors: dict[str, int] = field(default_factory=dict)  # beyond SHOWN, by reason
    error_groups: list[ErrorGroup] = field(default_factory=list)  # over every error
    in_groups: int = 0
    warnings: list[str] = field(default_factory=list)  # what was read but not used, and why

    def count(self, action: str) -> int:
        """How many rows add, change or leave things the same."""
        return sum(1 for r in self.rows if r.action == action)

    def of(self, action: str) -> list[PlannedRow]:
        """The planned rows with this action."""
        return [r for r in self.rows if r.action == action]

    def counts(self) -> dict[str, int]:
        """How many rows add, change and stay the same."""
        return {action: self.count(action) for action in ACTIONS}


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


def import_limits(max_bytes: int | None = None) -> ImportLimits:
    """The application's import limits (config.py; the defaults outside an application),
    with another upload size if given."""
    limits = ImportLimits()
    if has_app_context():
        limits = current_app.config.get("CX_IMPORT_LIMITS") or limits
    return limits if max_bytes is None else replace(limits, max_upload_bytes=max_bytes)


def read_file(importer: Importer, filename: str, content: bytes, limits: ImportLimits) -> Table:
    """The file's rows, read once within the limits; raises TableError."""
    return read_table(filename, content, required=importer.required,
                      optional=importer.optional, limits=limits)  # fmt: skip


def plan_table(importer: Importer, table: Table, actor: User | None, filename: str) -> ImportPlan:
    """Validate rows already read; the first SHOWN errors listed, the rest counted."""
    plan = importer.plan(table, actor)
    plan.filename = filename
    known = (*importer.required, *importer.optional)
    plan.warnings = ignored_warnings(table, known) + plan.warnings
    return bound_errors(plan)


def plan_file(
    importer: Importer,
    filename: str,
    content: bytes,
    actor: User | None,
    max_bytes: int | None = None,
) -> ImportPlan:
    """Read and validate a file; unreadable files become a plan with file-level errors."""
    try:
        table = read_file(importer, filename, content, import_limits(max_bytes))
    except TableError as error:
        return ImportPlan(filename, errors=list(error.errors))
    return plan_table(importer, table, actor, filename)


def bound_errors(plan: ImportPlan) -> ImportPlan:
    """Sort the errors, group those sharing a reason, keep the first SHOWN, count the others
    by reason."""
    plan.errors.sort()
    plan.error_groups = group_errors(plan.errors)
    # a group names its first rows; its other rows would only crowd the other errors out
    named = {(g.column, g.reason): set(g.first_rows) for g in plan.error_groups}
    kept = [e for e in plan.errors if e.row in named.get((e.column, e.reason), (e.row,))]
    plan.in_groups = len(plan.errors) - len(kept)
    plan.errors = kept
    rest = Counter(reason_kind(e) for e in plan.errors[SHOWN:]).most_common()
    plan.more_errors = dict(rest[:KINDS])
    if len(rest) > KINDS:
        plan.more_errors["other reasons"] = sum(count for _, count in rest[KINDS:])
    del plan.errors[SHOWN:]
    return plan


def reason_kind(error: RowError) -> str:
    """An error's reason without its values (quoted text, numbers), with its column."""
    reason = re.sub(r"'[^']*'", "'…'", error.reason)
    reason = re.sub(r"(?<![\w-])-?\d[\d.,]*(?![\w-])", "…", reason)
    return f"{error.column}: {reason}" if error.column else reason


@dataclass
class Preview(_Errors):
    """What the preview page shows of a plan: counts, the first SHOWN rows of each action,
    the first SHOWN errors and the others counted by reason. Kept as JSON with the upload."""

    filename: str
    counts: dict[str, int]
    rows: dict[str, list[PlannedRow]]
    errors: list[RowError]
    more_errors: dict[str, int]
    error_groups: list[ErrorGroup] = field(default_factory=list)
    in_groups: int = 0
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def of_plan(cls, plan: ImportPlan) -> Preview:
        """The preview of a (bounded) plan."""
        rows = {action: plan.of(action)[:SHOWN] for action in ("add", "change")}
        return cls(plan.filename, plan.counts(), rows, list(plan.errors), dict(plan.more_errors),
                   list(plan.error_groups), plan.in_groups, list(plan.warnings))  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Preview:
        """The preview as `to_json` stored it."""
        rows = {k: [PlannedRow(**r) for r in v] for k, v in data["rows"].items()}
        errors = [RowError(*e) for e in data["errors"]]
        groups = [ErrorGroup(**g) for g in data.get("error_groups", [])]
        return cls(data["filename"], data["counts"], rows, errors, data["more_errors"], groups,
                   data.get("in_groups", 0), data.get("warnings", []))  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        """Plain values for a JSON column."""
        return {"filename": self.filename, "counts": self.counts,
                "rows": {k: [asdict(r) for r in v] for k, v in self.rows.items()},
                "errors": [[e.row, e.column, e.reason] for e in self.errors],
                "more_errors": self.more_errors,
                "error_groups": [asdict(g) for g in self.error_groups],
                "in_groups": self.in_groups, "warnings": self.warnings}  # fmt: skip

    def count(self, action: str) -> int:
        """How many rows add, change or leave things the same."""
        return self.counts.get(action, 0)

    def of(self, action: str) -> list[PlannedRow]:
        """The first SHOWN planned rows with this action."""
        return self.rows.get(action, [])


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
