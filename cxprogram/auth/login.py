"""Flask-Login wiring: sessions carry the user id and a session version."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask, Request, g
from sqlalchemy import select

from cxprogram.auth.models import User
from cxprogram.auth.tokens import user_for_token
from cxprogram.extensions import db, login_manager


def load_user(session_id: str) -> User | None:
    """Load the user of a session; a changed password or deactivation ends it."""
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.scalar(select(User).where(User.id == int(user_id)))
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    return user


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
