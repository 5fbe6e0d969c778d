"""The users import: `email, name, role, departments` (department codes separated by ; or |).

All or nothing. Existing users (by e-mail) whose name, role or departments differ are shown
as changes; new users are created without a usable password: an administrator gives them
one afterwards on the Users pages (an e-mailed one-time link, or a one-time password shown
once), so no password ever travels in a file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from cxprogram.auth.models import Role, User
from cxprogram.auth.services import create_user, email_problem, normalise_email
from cxprogram.extensions import db
from cxprogram.imports.framework import ImportPlan, PlannedRow
from cxprogram.imports.tabular import Row, RowError, Table, unneutralise
from cxprogram.org.models import Department
from cxprogram.people.services import UserChange, update_user

SEPARATORS = re.compile(r"[;|]")
ROLES = ", ".join(r.value for r in Role)


@dataclass(frozen=True)
class UserRow:
    """One valid row: the user as the file describes them."""

    row: int
    email: str
    name: str
    role: Role
    codes: tuple[str, ...]

    def state(self) -> dict[str, object]:
        """What the preview shows for this row."""
        return {"name": self.name, "role": self.role.value, "departments": ", ".join(self.codes)}


@dataclass
class UsersPayload:
    """A valid plan's writes: users to create and existing users to change."""

    adds: list[UserRow] = field(default_factory=list)
    changes: list[UserRow] = field(default_factory=list)


def _state(user: User) -> dict[str, object]:
    codes = sorted(d.code for d in user.departments)
    return {"name": user.name, "role": user.role.value, "departments": ", ".join(codes)}


class UserImporter:
    """Importer of kind "users" (administrators only)."""

    kind = "users"
    title = "Users"
    required: tuple[str, ...] = ("email", "name", "role")
    optional: tuple[str, ...] = ("departments",)

    def may_use(self, user: User) -> bool:
        """Administrators only."""
        return bool(user.role == Role.ADMIN)

    def plan(self, table: Table, actor: User | None) -> ImportPlan:
        """Validate every row; sort the valid ones into add, change and same."""
        plan = ImportPlan("")
        parsed = _parse_rows(table.rows, plan.errors)
        existing = _existing_users([p.email for p in parsed])
        payload = UsersPayload()
        for item in parsed:
            user = existing.get(item.email)
            if user is None:
                payload.adds.append(item)
                plan.rows.append(PlannedRow(item.row, "add", item.email, after=item.state()))
            elif _state(user) != item.state():
                payload.changes.append(item)
                plan.rows.append(
                    PlannedRow(item.row, "change", item.email, _state(user), item.state())
                )
            else:
                plan.rows.append(PlannedRow(item.row, "same", item.email))
        plan.errors += _last_admin_errors(payload.changes, existing)
        plan.payload = payload
        return plan

    def apply(self, plan: ImportPlan, actor: User | None) -> dict[str, int]:
        """Create and change the users of a valid plan (each audited)."""
        payload: UsersPayload = plan.payload
        for item in payload.adds:
            create_user(item.email, item.name, item.role, None, list(item.codes), actor)
        existing = _existing_users([item.email for item in payload.changes])
        departments = {d.code: d.id for d in db.session.scalars(select(Department))}
        for item in payload.changes:
            user = existing[item.email]
            ids = [departments[c] for c in item.codes]
            update_user(user, UserChange(item.name, item.role, ids, user.version), actor)
        return {
            "users_created": len(payload.adds),
            "users_changed": len(payload.changes),
            "users_unchanged": plan.count("same"),
        }


def user_importer() -> UserImporter:
    """The importer the registry and the command use."""
    return UserImporter()


def _existing_users(emails: list[str]) -> dict[str, User]:
    if not emails:
        return {}
    query = select(User).options(selectinload(User.departments)).where(User.email.in_(emails))
    return {u.email: u for u in db.session.scalars(query)}


def _parse_rows(rows: Iterable[Row], errors: list[RowError]) -> list[UserRow]:
    known = set(db.session.scalars(select(Department.code)))
    first_row: dict[str, int] = {}
    parsed = []
    for row in rows:
        item = _parse_row(row, known, errors)
        if item is None:
            continue
        if item.email in first_row:
            reason = f"{item.email} is already in row {first_row[item.email]} of this file"
            errors.append(RowError(row.number, "email", reason))
            continue
        first_row[item.email] = row.number
        parsed.append(item)
    return parsed


def _parse_row(row: Row, known: set[str], errors: list[RowError]) -> UserRow | None:
    found: list[RowError] = []
    email = normalise_email(unneutralise(row.get("email")))
    problem = email_problem(email) if email else "empty: every user needs an e-mail address"
    if problem:
        found.append(RowError(row.number, "email", problem))
    name = " ".join(unneutralise(row.get("name")).split())
    if not name or len(name) > 200:
        found.append(RowError(row.number, "name", "a name of 1 to 200 characters is needed"))
    role = _role(row, found)
    codes = _codes(row, known, found)
    if role == Role.OFFICER and not codes and not any(e.column == "departments" for e in found):
        found.append(RowError(row.number, "departments", "an officer needs a department"))
    errors += found
    if found or role is None:
        return None
    return UserRow(row.number, email, name, role, codes)


def _role(row: Row, found: list[RowError]) -> Role | None:
    text = row.get("role").lower()
    if text in Role._value2member_map_:
        return Role(text)
    reason = f"unknown role '{row.get('role')}' (use one of {ROLES})"
    found.append(RowError(row.number, "role", reason))
    return None


def _codes(row: Row, known: set[str], found: list[RowError]) -> tuple[str, ...]:
    codes = sorted(
        {c.strip().upper() for c in SEPARATORS.split(row.get("departments")) if c.strip()}
    )
    for code in codes:
        if code not in known:
            found.append(RowError(row.number, "departments", f"unknown department '{code}'"))
    return tuple(codes)


def _last_admin_errors(changes: list[UserRow], existing: dict[str, User]) -> list[RowError]:
    """A file may not demote every active administrator."""
    demoted = [c for c in changes if existing[c.email].role == Role.ADMIN and c.role != Role.ADMIN]
    if not demoted:
        return []
    active_admins = db.session.scalars(
        select(User.email).where(User.role == Role.ADMIN, User.is_active_user.is_(True))
    ).all()
    if set(active_admins) - {c.email for c in demoted}:
        return []
    reason = "this would leave no active administrator; keep at least one admin"
    return [RowError(c.row, "role", reason) for c in demoted]
