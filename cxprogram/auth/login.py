"""Flask-Login wiring: sessions carry the user id, a session version and a server-side
session secret (auth.sessions), so that signing out ends the session for good."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask, Request, current_app, g, session
from flask_login import login_user, logout_user
from sqlalchemy import select

from cxprogram.auth import sessions
from cxprogram.auth.models import User
from cxprogram.auth.tokens import user_for_token
from cxprogram.extensions import db, login_manager

SESSION_KEY = "cx_session"  # the session's secret; its digest is a user_sessions row


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
    user = user_for_token(header.removeprefix("Bearer ").strip(), datetime.now(UTC))
    if user is not None:
        g.auth_via_token = True
    return user


def init_app(app: Flask) -> None:
    """Bind Flask-Login to the app."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    login_manager.user_loader(load_user)
    login_manager.request_loader(load_user_from_token)
