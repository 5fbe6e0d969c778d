"""Administrators' writes on users: role, assignments, deactivation. Flushes, never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select

from cxprogram.auth import sessions
from cxprogram.auth.models import Role, User
from cxprogram.auth.services import UserError, user_state
from cxprogram.auth.tokens import revoke_user_tokens
from cxprogram.core import audit
from cxprogram.extensions import db
from cxprogram.org.models import Department

LAST_ADMIN = (
    "{email} is the last active administrator. Make another user an administrator first, "
    "so that someone can still manage users."
)


class EditConflict(Exception):
    """Someone else saved the user after this person opened the form."""


@dataclass(frozen=True)
class UserChange:
    """What an administrator typed for a user, with the version they started from."""

    name: str
    role: Role
    department_ids: list[int]
    version: int


def other_active_admins(user: User) -> int:
    """Active administrators other than this user.

    Every active admin row is locked (PostgreSQL), the user's own included, so two admins
    demoting each other at the same moment are serialised and the second is refused.
    """
    query = (
        select(User.id)
        .where(User.role == Role.ADMIN, User.is_active_user.is_(True))
        .with_for_update()
    )
    return sum(1 for user_id in db.session.scalars(query) if user_id != user.id)


def check_not_last_admin(user: User) -> None:
    """Refuse a change that would leave no active administrator."""
    if user.role == Role.ADMIN and user.is_active_user and other_active_admins(user) == 0:
        raise UserError(LAST_ADMIN.format(email=user.email))


def update_user(user: User, change: UserChange, actor: User | None) -> None:
    """Change name, role and department assignments; refuse stale or last-admin edits."""
    if change.version != user.version:
        raise EditConflict
    if change.role != Role.ADMIN:
        check_not_last_admin(user)
    departments = _departments(change.department_ids)
    if change.role == Role.OFFICER and not departments:
        raise UserError("An officer must be assigned to at least one department.")
    before = user_state(user)
    user.name = change.name.strip()
    user.role = change.role
    user.departments = departments
    user.sees_all_departments = change.role == Role.VIEWER and not departments
    _save(user, "update", actor, before)


def deactivate_user(user: User, actor: User) -> None:
    """Refuse sign-in from now on, end every session of the user at once and revoke their API
    tokens for good (reactivation does not bring them back); history kept."""
    if not user.is_active_user:
        return
    check_not_last_admin(user)
    before = user_state(user)
    user.is_active_user = False
    user.session_version += 1
    sessions.end_other_sessions(user)
    revoke_user_tokens(user, actor, datetime.now(UTC))
    _save(user, "deactivate", actor, before)


def reactivate_user(user: User, actor: User) -> None:
    """Let a deactivated user sign in again (with no API token: they create new ones)."""
    if user.is_active_user:
        return
    before = user_state(user)
    user.is_active_user = True
    _save(user, "reactivate", actor, before)


def count_active_admins() -> int:
    """How many active administrators there are."""
    query = select(func.count(User.id)).where(
        User.role == Role.ADMIN, User.is_active_user.is_(True)
    )
    return int(db.session.scalar(query) or 0)


def _departments(ids: list[int]) -> list[Department]:
    if not ids:
        return []
    found = list(db.session.scalars(select(Department).where(Department.id.in_(ids))))
    if len(found) != len(set(ids)):
        raise UserError("One of the chosen departments no longer exists.")
    return sorted(found, key=lambda d: d.code)


def _save(user: User, action: str, actor: User | None, before: dict[str, object]) -> None:
    user.version += 1
    db.session.flush()
    audit.record(action, "user", user.id, actor=actor, before=before, after=user_state(user))
