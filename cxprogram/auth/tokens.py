"""API bearer tokens: random secrets shown once, stored as SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select

from cxprogram.auth.models import ApiToken, User
from cxprogram.core import audit
from cxprogram.extensions import db

PREFIX = "cxp_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str = "token", actor: User | None = None) -> str:
    """Create a token for a user and return its secret (the only time it is visible)."""
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, token_hash=_digest(secret))
    db.session.add(token)
    db.session.flush()
    audit.record(
        "create",
        "api_token",
        token.id,
        actor=actor or user,
        after={"user": user.email, "name": name},
    )
    return secret


def user_for_token(secret: str, now: datetime) -> User | None:
    """The active user a live token belongs to; records its last use."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(secret)))
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    token.last_used_at = now
    return token.user


def revoke_user_tokens(user: User, actor: User, now: datetime) -> None:
    """Revoke every live token of the user for good (deactivation): reactivation starts anew."""
    live = select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    for token in db.session.scalars(live).all():
        revoke_token(token, actor, now)


def revoke_token(token: ApiToken, actor: User, now: datetime) -> None:
    """Revoke a token at once."""
    token.revoked_at = now
    audit.record(
        "revoke",
        "api_token",
        token.id,
        actor=actor,
        before={"user": token.user.email, "name": token.name, "revoked": False},
        after={"user": token.user.email, "name": token.name, "revoked": True},
    )
