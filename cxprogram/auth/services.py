"""Sign-in, user creation and password changes. Flushes, never commits."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, select

from cxprogram.auth.models import LoginAttempt, Role, User
from cxprogram.auth.passwords import hash_password, password_problem, verify_password
from cxprogram.core import audit
from cxprogram.extensions import db
from cxprogram.org.models import Department

SIGN_IN_FAILED = "That e-mail address and password do not match an active account."
THROTTLED = (
    "Too many failed sign-in attempts from this address. Wait a few minutes, then try again."
)


@dataclass(frozen=True)
class Throttle:
    """Limits on failed sign-ins within a sliding window, counted from one client address."""

    per_account: int  # failures on one account from one address
    per_address: int  # failures from one address, whatever the accounts
    window: timedelta


@dataclass(frozen=True)
class SignInResult:
    """The outcome of a sign-in attempt: a user, or a message to show."""

    user: User | None
    message: str | None = None
    retry_after: int | None = None  # seconds, when throttled

    @property
    def is_throttled(self) -> bool:
        """True when the attempt was refused unchecked, past a throttle limit."""
        return self.retry_after is not None


def normalise_email(email: str) -> str:
    """E-mail addresses compare case-insensitively, without surrounding space."""
    return email.strip().lower()


def seconds_until_allowed(
    email: str, remote_addr: str, now: datetime, throttle: Throttle
) -> int | None:
    """Seconds until this address may try this account again, or None when it may now.

    The owner signing in from another address is never held back by these counts.
    """
    from_address = LoginAttempt.remote_addr == remote_addr
    on_account = [from_address, LoginAttempt.email == email]
    waits = [_wait(on_account, throttle.per_account, now, throttle.window)]
    if remote_addr:  # with no address known, one client's failures must not block everyone
        waits.append(_wait([from_address], throttle.per_address, now, throttle.window))
    return max((w for w in waits if w is not None), default=None)


def _wait(
    conditions: list[ColumnElement[bool]], limit: int, now: datetime, window: timedelta
) -> int | None:
    """Seconds until fewer than `limit` matching failures remain within the window."""
    query = (
        select(LoginAttempt.attempted_at)
        .where(*conditions, LoginAttempt.attempted_at >= now - window)
        .order_by(LoginAttempt.attempted_at.desc())
        .limit(limit)
    )
    times = list(db.session.scalars(query))
    if len(times) < limit:
        return None
    return max(1, math.ceil((times[-1] + window - now).total_seconds()))


def sign_in(
    email: str, password: str, *, remote_addr: str, now: datetime, throttle: Throttle
) -> SignInResult:
    """Check credentials with throttling; the same message for unknown e-mail and bad password."""
    email, remote_addr = normalise_email(email), remote_addr[:64]
    wait = seconds_until_allowed(email, remote_addr, now, throttle)
    if wait is not None:
        return SignInResult(None, THROTTLED, retry_after=wait)
    user = db.session.scalar(select(User).where(User.email == email))
    stored = user.password_hash if user is not None else None
    if not verify_password(stored, password) or user is None or not user.is_active:
        _record_failure(email, remote_addr, now, throttle.window)
        return SignInResult(None, SIGN_IN_FAILED)
    forget = delete(LoginAttempt).where(
        LoginAttempt.email == email, LoginAttempt.remote_addr == remote_addr
    )
    db.session.execute(forget)
    user.last_login_at = now
    return SignInResult(user)


def _record_failure(email: str, remote_addr: str, now: datetime, window: timedelta) -> None:
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at < now - window))
    db.session.add(LoginAttempt(email=email, remote_addr=remote_addr, attempted_at=now))


class UserError(ValueError):
    """A user could not be created or changed; the message says why."""


# Stored instead of a hash for accounts that wait for an invitation: no password matches it.
NO_PASSWORD = "!no-password"  # noqa: S105 - a marker, not a password


def email_problem(email: str) -> str | None:
    """Why a (normalised) e-mail address is unacceptable, or None."""
    local, at, domain = email.partition("@")
    if not at or not local or "." not in domain.strip(".") or " " in email or "@" in domain:
        return f"'{email}' is not an e-mail address."
    if len(email) > 254:
        return "An e-mail address has at most 254 characters."
    return None


def create_user(
    email: str,
    name: str,
    role: Role,
    password: str | None,
    department_codes: list[str] | None = None,
    actor: User | None = None,
) -> User:
    """Create a user with a role and department grants, audited; no password: invitation."""
    email = normalise_email(email)
    problem = email_problem(email)
    if problem:
        raise UserError(problem)
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise UserError(f"A user with e-mail {email} already exists.")
    problem = password_problem(password) if password is not None else None
    if problem:
        raise UserError(problem)
    departments = _departments_by_code(department_codes or [])
    if role == Role.OFFICER and not departments:
        raise UserError("An officer must be assigned to at least one department.")
    stored = hash_password(password) if password is not None else NO_PASSWORD
    user = User(email=email, name=name.strip(), role=role, password_hash=stored)
    user.departments = departments
    user.sees_all_departments = role == Role.VIEWER and not departments
    db.session.add(user)
    db.session.flush()
    audit.record("create", "user", user.id, actor=actor, after=user_state(user))
    return user


def change_password(user: User, current: str, new: str) -> None:
    """Change a password after checking the current one; ends the user's other sessions."""
    if not verify_password(user.password_hash, current):
        raise UserError("The current password is not correct.")
    problem = password_problem(new)
    if problem:
        raise UserError(problem)
    user.password_hash = hash_password(new)
    user.session_version += 1
    user.must_change_password = False
    audit.record("change_password", "user", user.id, actor=user)


def _departments_by_code(codes: list[str]) -> list[Department]:
    wanted = {c.strip().upper() for c in codes if c.strip()}
    found = list(db.session.scalars(select(Department).where(Department.code.in_(wanted))))
    missing = wanted - {d.code for d in found}
    if missing:
        raise UserError(f"Unknown department code(s): {', '.join(sorted(missing))}.")
    return found


def user_state(user: User) -> dict[str, object]:
    """A user as plain data for audit events and conflict pages (never the password)."""
    return {
        "email": user.email,
        "name": user.name,
        "role": user.role.value,
        "departments": sorted(d.code for d in user.departments),
        "active": user.is_active_user,
    }
