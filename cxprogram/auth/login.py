"""Flask-Login wiring: sessions carry the user id, a session version and a server-side
session secret (auth.sessions), so that signing out ends the session for good."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, Request, current_app, g, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_login import login_user, logout_user
from sqlalchemy import select

from cxprogram.auth import sessions, tokens
from cxprogram.auth.models import User
from cxprogram.extensions import db, login_manager

SESSION_KEY = "cx_session"  # the session's secret; its digest is a user_sessions row
API_PREFIX = "/api/"  # the JSON API is stateless: bearer tokens, never the session cookie


def _is_number(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) < 19  # fits a BIGINT


def load_user(session_id: str) -> User | None:
    """Load the user of a live session; sign-out, a changed password or deactivation end it."""
    user_id, _, version = session_id.partition(":")
    secret = session.get(SESSION_KEY)
    if not (_is_number(user_id) and _is_number(version) and isinstance(secret, str)):
        return None
    user = db.session.scalar(select(User).where(User.id == int(user_id)))
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    if not sessions.is_live(user.id, secret, datetime.now(UTC), _max_age()):
        return None
    return user


def _max_age() -> timedelta:
    return current_app.permanent_session_lifetime


def begin_session(user: User) -> None:
    """Sign the user in on this browser with a new server-side session (caller commits)."""
    secret = sessions.start_session(user, datetime.now(UTC), _max_age())
    login_user(user)
    session[SESSION_KEY] = secret


def end_session() -> None:
    """Sign this browser out and end its session on the server (caller commits)."""
    secret = session.pop(SESSION_KEY, None)
    if isinstance(secret, str):
        sessions.end_session(secret)
    logout_user()


def end_other_sessions(user: User) -> None:
    """End every session of the user except this browser's (caller commits)."""
    secret = session.get(SESSION_KEY)
    sessions.end_other_sessions(user, keep=secret if isinstance(secret, str) else None)


def load_user_from_token(req: Request) -> User | None:
    """Bearer tokens authenticate JSON API requests only (never pages)."""
    header = req.headers.get("Authorization", "")
    if req.blueprint != "api" or not header.startswith("Bearer "):
        return None
    token = tokens.live_token(header.removeprefix("Bearer ").strip())
    if token is None:
        return None
    now = datetime.now(UTC)
    if tokens.use_is_due(token, now):
        g.token_used = (token.id, now)  # written once the request's transaction has ended
    g.auth_via_token = True
    return token.user


def _record_token_use(error: BaseException | None) -> None:
    """After the request: end its transaction, then record the token's use in another one
    (so a read never writes in its own transaction, nor holds a write lock)."""
    used = g.pop("token_used", None)
    if used is not None:
        db.session.remove()
        tokens.record_use(db.session.get_bind(), *used)


def _is_api(path: str) -> bool:
    return path.startswith(API_PREFIX)


class StatelessApiSessions(SecureCookieSessionInterface):
    """Pages keep their signed session cookie; the API neither reads nor sets it, so a client
    that kept a cookie from some page still has its bearer token honoured (a cookie read on
    the API made session protection treat it as stolen, and the token went unread)."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """An empty session for the API, the cookie's for pages."""
        if _is_api(request.path):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: Any, response: Any) -> None:
        """Never a Set-Cookie on an API response."""
        if not _is_api(request.path):
            super().save_session(app, session, response)


def init_app(app: Flask) -> None:
    """Bind Flask-Login to the app."""
    app.session_interface = StatelessApiSessions()
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    login_manager.user_loader(load_user)
    login_manager.request_loader(load_user_from_token)
    app.teardown_request(_record_token_use)
