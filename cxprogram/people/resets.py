"""One-time password links (reset and invitation) and one-time passwords. Flushes only.

A link's secret is shown once (in the e-mail) and only its SHA-256 is stored. A link works
once and until it expires; issuing a new one withdraws the user's earlier unused links.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from cxprogram.auth import sessions
from cxprogram.auth.models import PasswordReset, User
from cxprogram.auth.passwords import hash_password, password_problem
from cxprogram.auth.services import UserError
from cxprogram.core import audit
from cxprogram.extensions import db

VALID_FOR = {"reset": timedelta(hours=2), "invite": timedelta(days=7)}
LINK_UNUSABLE = (
    "This link has expired or has already been used. Ask an administrator for a new one."
)


@dataclass(frozen=True)
class IssuedLink:
    """A link's secret (to put in the e-mail) and when it stops working."""

    secret: str
    expires_at: datetime


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_link(user: User, purpose: str, actor: User, now: datetime) -> IssuedLink:
    """Create a single-use link for the user (purpose "reset" or "invite"), audited."""
    _withdraw_links(user, now)
    secret = secrets.token_urlsafe(32)
    expires = now + VALID_FOR[purpose]
    db.session.add(
        PasswordReset(
            user_id=user.id, token_hash=_digest(secret), purpose=purpose, expires_at=expires
        )
    )
    db.session.flush()
    audit.record(
        f"issue_{purpose}_link", "user", user.id, actor=actor,
        after={"expires_at": expires.isoformat()},
    )  # fmt: skip
    return IssuedLink(secret, expires)


def revoke_link(link: IssuedLink, actor: User, now: datetime) -> None:
    """Withdraw an issued link whose e-mail could not be sent, audited."""
    row = db.session.scalar(
        select(PasswordReset).where(
            PasswordReset.token_hash == _digest(link.secret), PasswordReset.used_at.is_(None)
        )
    )
    if row is None:
        return
    row.used_at = now
    audit.record(f"revoke_{row.purpose}_link", "user", row.user_id, actor=actor,
                 reason="the e-mail could not be sent")  # fmt: skip


def find_link(secret: str, now: datetime) -> PasswordReset | None:
    """The live link with this secret, or None (unknown, used, expired, user deactivated)."""
    link = db.session.scalar(
        select(PasswordReset).where(PasswordReset.token_hash == _digest(secret))
    )
    if link is None or link.used_at is not None or link.expires_at <= now:
        return None
    return link if link.user.is_active_user else None


def use_link(link: PasswordReset, password: str, now: datetime) -> User:
    """Set the user's password through a live link; the link is spent and old sessions end."""
    problem = password_problem(password)
    if problem:
        raise UserError(problem)
    spend = (
        update(PasswordReset)
        .where(PasswordReset.id == link.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
    if db.session.execute(spend).rowcount != 1:  # type: ignore[attr-defined]
        raise UserError(LINK_UNUSABLE)  # another request spent it a moment ago
    user = link.user
    _set_password(user, hash_password(password), must_change=False)
    audit.record(f"use_{link.purpose}_link", "user", user.id, actor=user)
    return user


def issue_one_time_password(user: User, actor: User, now: datetime) -> str:
    """Give the user a random password to change at first sign-in; returned to show once."""
    _withdraw_links(user, now)
    password = "-".join(secrets.token_hex(3) for _ in range(4))
    _set_password(user, hash_password(password), must_change=True)
    audit.record("issue_one_time_password", "user", user.id, actor=actor)
    return password


def _set_password(user: User, stored_hash: str, *, must_change: bool) -> None:
    user.password_hash = stored_hash
    user.must_change_password = must_change
    user.session_version += 1
    sessions.end_other_sessions(user)
    db.session.flush()


def _withdraw_links(user: User, now: datetime) -> None:
    db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
