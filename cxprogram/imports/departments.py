"""The departments import: columns `code, name` and optional `parent` (a code) and `active`.

All or nothing. Every row is checked before anything is written: the code's format, a code
given twice, a missing name, a parent that is neither stored nor in the file (a parent may
come later in the same file), and parents that would make a department its own ancestor.
A row naming a stored department changes its name and parent (shown before/after in the
preview); a row matching the stored department exactly changes nothing, so re-importing
the same file is a no-op. The optional `active` column (yes/no) sets a department's status;
left blank or absent, the status stays as it is (new departments are active). The optional
`short_name` column sets the name tight tables show (calc.SHORT_NAME_RULE; a blank cell
clears it, an absent column leaves it). Nothing is ever deleted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from cxprogram.admin import calc, queries
from cxprogram.admin.services import department_state
from cxprogram.auth.models import Role, User
from cxprogram.core import audit
from cxprogram.extensions import db
from cxprogram.imports.framework import ImportPlan, PlannedRow
from cxprogram.imports.tabular import Row, RowError, Table, unneutralise
from cxprogram.org.models import Department


@dataclass(frozen=True)
class DepartmentRow:
    """One valid-looking row: normalised code, name and parent code."""

    row: int
    code: str
    name: str
    parent: str | None
    active: bool | None = None
    short_name: str | None = None
    has_short_name: bool = False  # the file has the column (a blank cell clears the name)

    def state(self) -> dict[str, Any]:
        """What the file says about the department (status and short name when it gives them)."""
        said: dict[str, Any] = {"name": self.name, "parent": self.parent}
        if self.has_short_name:
            said["short_name"] = self.short_name
        return said if self.active is None else {**said, "active": self.active}


YES = {"yes", "y", "true", "1", "active"}
NO = {"no", "n", "false", "0", "inactive"}


class DepartmentImporter:
    """Importer of kind "departments" (administrators only)."""

    kind = "departments"
    title = "Departments"
    required: tuple[str, ...] = ("code", "name")
    optional: tuple[str, ...] = ("parent", "active", "short_name")

    def may_use(self, user: User) -> bool:
        """Only administrators manage the organization's structure."""
        return user.role == Role.ADMIN

    def plan(self, table: Table, actor: User | None) -> ImportPlan:
        """Check every row, then compare each with the stored department; write nothing."""
        plan = ImportPlan("")
        stored = queries.parent_map()
        current = select(
            Department.code, Department.name, Department.is_active, Department.short_name
        )
        names = {code: (name, active, short) for code, name, active, short in
                 db.session.execute(current)}  # fmt: skip
        parsed = _parse_rows(table.rows, set(stored), plan.errors)
        plan.errors += _parent_errors(parsed, stored)
        if plan.errors:
            return plan
        for item in parsed:
            plan.rows.append(_planned(item, stored, names))
        plan.payload = parsed
        return plan

    def apply(self, plan: ImportPlan, actor: User | None) -> dict[str, int]:
        """Create the new departments, then set every name and parent; audited per department."""
        rows: list[DepartmentRow] = plan.payload
        by_code = {d.code: d for d in db.session.scalars(select(Department))}
        before = {code: department_state(d) for code, d in by_code.items()}
        for item in rows:
            if item.code not in by_code:
                by_code[item.code] = Department(code=item.code, name=item.name, is_active=True)
                db.session.add(by_code[item.code])
        db.session.flush()
        for item in rows:
            dept = by_code[item.code]
            dept.name = item.name
            dept.parent = by_code[item.parent] if item.parent else None
            if item.active is not None:
                dept.is_active = item.active
            if item.has_short_name:
                dept.short_name = item.short_name
        db.session.flush()
        return _audit(rows, by_code, before, actor)


def _audit(
    rows: list[DepartmentRow],
    by_code: dict[str, Department],
    before: dict[str, dict[str, Any]],
    actor: User | None,
) -> dict[str, int]:
    counts = {"departments_added": 0, "departments_changed": 0, "unchanged": 0}
    for item in rows:
        dept = by_code[item.code]
        after = department_state(dept)
        if item.code not in before:
            audit.record("create", "department", dept.id, actor=actor, after=after,
                         department_id=dept.id, reason="import")  # fmt: skip
            counts["departments_added"] += 1
        elif after != before[item.code]:
            audit.record("update", "department", dept.id, actor=actor, before=before[item.code],
                         after=after, department_id=dept.id, reason="import")  # fmt: skip
            counts["departments_changed"] += 1
        else:
            counts["unchanged"] += 1
    return counts


def _parse_rows(
    rows: Iterable[Row], stored: set[str], errors: list[RowError]
) -> list[DepartmentRow]:
    """Rows with a well-formed, first-seen code and a name; errors for the others."""
    parsed: list[DepartmentRow] = []
    first: dict[str, int] = {}
    spelt: dict[str, str] = {}
    for row in rows:
        raw = unneutralise(row.get("code")).strip()
        code = calc.normalise_code(raw)
        name = unneutralise(row.get("name"))
        problem = None if code in stored else calc.code_problem(code)
        if problem:
            errors.append(RowError(row.number, "code", problem))
        elif code in first:
            reason = calc.repeated("codes", first[code], raw, spelt[code])
            errors.append(RowError(row.number, "code", reason))
        first.setdefault(code, row.number)
        spelt.setdefault(code, raw)
        name_problem = calc.name_problem(name, "department", 200)
        if name_problem:
            errors.append(RowError(row.number, "name", name_problem))
        active = _active(row, errors)
        short_name, short_ok = _short_name(row, errors)
        if not problem and first[code] == row.number and not name_problem and short_ok:
            parent = calc.normalise_code(unneutralise(row.get("parent"))) or None
            parsed.append(DepartmentRow(row.number, code, name, parent, active, short_name,
                                        "short_name" in row.cells))  # fmt: skip
    return parsed


def _short_name(row: Row, errors: list[RowError]) -> tuple[str | None, bool]:
    """The row's short name (None when blank) and whether it keeps calc.SHORT_NAME_RULE."""
    short_name = calc.normalise_short_name(unneutralise(row.get("short_name")))
    problem = calc.short_name_problem(short_name)
    if problem:
        errors.append(RowError(row.number, "short_name", problem))
    return short_name, problem is None


def _active(row: Row, errors: list[RowError]) -> bool | None:
    """yes/no (and the like) as a status; blank: leave the status as it is."""
    raw = row.get("active").lower()
    if not raw:
        return None
    if raw in YES | NO:
        return raw in YES
    errors.append(RowError(row.number, "active", f"'{raw}' is not yes or no"))
    return None


def _parent_errors(parsed: list[DepartmentRow], stored: dict[str, str | None]) -> list[RowError]:
    """Unknown parents and cycles, judged on the structure the whole file would leave."""
    after = {**stored, **{item.code: item.parent for item in parsed}}
    errors = []
    for item in parsed:
        if item.parent is None:
            continue
        if item.parent not in after:
            reason = f"unknown parent {item.parent}: not a department, nor a code in this file"
            errors.append(RowError(item.row, "parent", reason))
        elif calc.creates_cycle(item.code, item.parent, after):
            chain = " -> ".join([item.code, *calc.ancestors(item.code, after)])
            reason = f"{item.code} would be its own ancestor ({chain})"
            errors.append(RowError(item.row, "parent", reason))
    return errors


def _planned(
    item: DepartmentRow,
    stored: dict[str, str | None],
    names: dict[str, tuple[str, bool, str | None]],
) -> PlannedRow:
    label = f"{item.code}: {item.name}"
    if item.code not in stored:
        return PlannedRow(item.row, "add", label, after={"code": item.code, **item.state()})
    name, active, short_name = names[item.code]
    current: dict[str, Any] = {"name": name, "parent": stored[item.code]}
    if item.has_short_name:
        current["short_name"] = short_name
    if item.active is not None:
        current["active"] = active
    if current == item.state():
        return PlannedRow(item.row, "same", label)
    return PlannedRow(item.row, "change", label, before=current, after=item.state())
