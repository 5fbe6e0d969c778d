"""API bearer tokens: random secrets shown once, stored as SHA-256."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, or_, select, update
from sqlalchemy.exc import DBAPIError

from cxprogram.auth.models import ApiToken, User
from cxprogram.core import audit
from cxprogram.extensions import db

PREFIX = "cxp_"
USE_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often per token
log = logging.getLogger(__name__)


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


def live_token(secret: str) -> ApiToken | None:
    """The live token of an active user this secret is (reads only)."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(secret)))
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    return token


def use_is_due(token: ApiToken, now: datetime) -> bool:
    """Whether this use must be recorded: a token's use is written at most once a minute."""
    return token.last_used_at is None or now - token.last_used_at >= USE_EVERY


def record_use(bind: Engine | Connection, token_id: int, now: datetime) -> None:
    """Write the token's last use in a transaction of its own, never the request's, and only
    if no other request did within the minute. A failure (a read-only or busy database) is
    logged and costs nothing but the figure."""
    t = ApiToken
    statement = (
        update(t)
        .where(t.id == token_id, or_(t.last_used_at.is_(None), t.last_used_at <= now - USE_EVERY))
        .values(last_used_at=now)
    )
    try:
        if isinstance(bind, Connection):  # a session bound to a caller's transaction (tests)
            with bind.begin_nested():
                bind.execute(statement)
        else:
            with bind.begin() as conn:
                conn.execute(statement)
    except DBAPIError as error:
        log.warning("last use of API token %s not recorded: %s", token_id, error.orig)


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
