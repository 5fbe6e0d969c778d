"""Server-side sessions: a random secret in the cookie, its SHA-256 in the database.

A session is live while its row exists and is younger than the cookie's lifetime; signing
out deletes the row, a password change deletes the user's other rows. Flushes only.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from cxprogram.auth.models import User, UserSession
from cxprogram.extensions import db


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start_session(user: User, now: datetime, max_age: timedelta) -> str:
    """Record a new session for the user and return its secret (for the cookie)."""
    db.session.execute(delete(UserSession).where(UserSession.created_at < now - max_age))
    secret = secrets.token_urlsafe(32)
    db.session.add(UserSession(user_id=user.id, token_hash=_digest(secret), created_at=now))
    db.session.flush()
    return secret


def is_live(user_id: int, secret: str, now: datetime, max_age: timedelta) -> bool:
    """True when the user's session with this secret has not ended."""
    query = select(UserSession.id).where(
        UserSession.user_id == user_id,
        UserSession.token_hash == _digest(secret),
        UserSession.created_at >= now - max_age,
    )
    return db.session.scalar(query) is not None


def end_session(secret: str) -> None:
    """End one session (sign-out)."""
    db.session.execute(delete(UserSession).where(UserSession.token_hash == _digest(secret)))


def end_other_sessions(user: User, keep: str | None = None) -> None:
    """End every session of the user but the one with secret `keep` (None: all of them)."""
    query = delete(UserSession).where(UserSession.user_id == user.id)
    if keep is not None:
        query = query.where(UserSession.token_hash != _digest(keep))
    db.session.execute(query)
