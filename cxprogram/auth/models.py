"""Users, their roles and department grants, sessions, API tokens and sign-in attempts."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Column, Enum, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cxprogram.core.models import UTCDateTime, utcnow
from cxprogram.extensions import Base

if TYPE_CHECKING:
    from cxprogram.org.models import Department


class Role(enum.StrEnum):
    """What a person may do (SPEC section 2)."""

    ADMIN = "admin"
    CHIEF = "chief"
    OFFICER = "officer"
    VIEWER = "viewer"


user_departments = Table(
    "user_departments",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True),
)


class User(Base):
    """A person who signs in; officers and listed viewers hold department grants."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20))
    is_active_user: Mapped[bool] = mapped_column(Boolean, default=True)
    sees_all_departments: Mapped[bool] = mapped_column(Boolean, default=False)
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    departments: Mapped[list[Department]] = relationship(secondary=user_departments)

    # Administrators' edits bump `version` themselves (a sign-in must not make their form stale).
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    # Flask-Login protocol
    @property
    def is_active(self) -> bool:
        """Deactivated users cannot sign in or keep a session."""
        return self.is_active_user

    @property
    def is_authenticated(self) -> bool:
        """Loaded users are authenticated."""
        return True

    @property
    def is_anonymous(self) -> bool:
        """Loaded users are never anonymous."""
        return False

    def get_id(self) -> str:
        """Session id: user id and session version, so a password change ends old sessions."""
        return f"{self.id}:{self.session_version}"

    @property
    def has_password(self) -> bool:
        """False for an account created without a password (it waits for an invitation)."""
        return self.password_hash.startswith("$")

    @property
    def department_ids(self) -> set[int]:
        """Ids of the departments this user is assigned to or granted."""
        return {d.id for d in self.departments}


class UserSession(Base):
    """A signed-in browser session; only the SHA-256 of its secret is stored.

    The secret travels in the session cookie; signing out deletes the row, so a copy of the
    cookie kept from before is refused afterwards.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class ApiToken(Base):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="token")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user: Mapped[User] = relationship()


class PasswordReset(Base):
    """A one-time link to set a password (reset or invitation); only its SHA-256 is stored."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(20), default="reset")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user: Mapped[User] = relationship()


class LoginAttempt(Base):
    """A failed sign-in, kept to throttle guessing across every worker process."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    remote_addr: Mapped[str] = mapped_column(String(64), default="", index=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
