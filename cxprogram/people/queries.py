"""Reads for the people pages: user search, the officer directory, API tokens."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import selectinload

from cxprogram.auth.models import ApiToken, Role, User
from cxprogram.extensions import db
from cxprogram.org.models import Department


@dataclass(frozen=True)
class UserSearch:
    """What the administrator filters the user list by (empty: everything)."""

    text: str = ""
    role: Role | None = None
    department_id: int | None = None
    active: bool | None = None


def users_query(search: UserSearch) -> Select[tuple[User]]:
    """Users matching the search by name or e-mail, role, department and state."""
    query = select(User).options(selectinload(User.departments)).order_by(User.email)
    if search.text:
        like = f"%{search.text.strip().lower()}%"
        query = query.where(
            or_(User.email.ilike(like), User.name.ilike(like))  # ilike: PostgreSQL and SQLite
        )
    if search.role is not None:
        query = query.where(User.role == search.role)
    if search.department_id is not None:
        query = query.where(User.departments.any(Department.id == search.department_id))
    if search.active is not None:
        query = query.where(User.is_active_user.is_(search.active))
    return query


@dataclass(frozen=True)
class DirectoryEntry:
    """One person in the officer directory: who to contact, not their settings."""

    name: str
    email: str
    role: str
    departments: list[tuple[str, str]]


def officer_directory() -> list[DirectoryEntry]:
    """Active officers and chiefs with the departments each officer serves."""
    query = (
        select(User)
        .options(selectinload(User.departments))
        .where(User.role.in_((Role.OFFICER, Role.CHIEF)), User.is_active_user.is_(True))
        .order_by(User.name, User.email)
    )
    return [
        DirectoryEntry(
            u.name,
            u.email,
            u.role.value,
            sorted((d.code, d.name) for d in u.departments),
        )
        for u in db.session.scalars(query)
    ]


def tokens_query(user: User | None) -> Select[tuple[ApiToken]]:
    """The tokens of one user (or of everyone), newest first."""
    query = select(ApiToken).options(selectinload(ApiToken.user))
    if user is not None:
        query = query.where(ApiToken.user_id == user.id)
    return query.order_by(ApiToken.created_at.desc(), ApiToken.id.desc())


def awaiting_password_query() -> Select[tuple[User]]:
    """Active users who have never been given a password (imported or just created)."""
    from cxprogram.auth.services import NO_PASSWORD

    return (
        select(User)
        .where(User.password_hash == NO_PASSWORD, User.is_active_user.is_(True))
        .order_by(User.email)
    )
