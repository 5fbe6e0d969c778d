"""Audit cases for the people pages: users, password links, API tokens, the users import."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cxprogram.auth.tokens import create_token
from cxprogram.imports.uploads import stash_upload
from cxprogram.models import ApiToken
from cxprogram.people import resets
from tests.integration.audit_cases import AuditCase, Ctx

NEW_PASSWORD = "a brand new long passphrase"


def _create_user(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    dept = ctx.user.departments[0]
    return "/users/new", {
        "email": "fresh@example.test", "name": "Fresh", "role": "officer",
        "departments": [dept.id], "version": "0",
    }  # fmt: skip


def _edit_user(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    other = ctx.make_user("viewer")
    return f"/users/{other.id}/edit", {
        "name": "Renamed", "role": "viewer", "version": str(other.version)
    }  # fmt: skip


def _deactivate_user(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    return f"/users/{ctx.make_user('chief').id}/deactivate", {}


def _reactivate_user(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    other = ctx.make_user("chief")
    other.is_active_user = False
    return f"/users/{other.id}/reactivate", {}


def _reset_password(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    return f"/users/{ctx.make_user('chief').id}/reset-password", {}


def _set_password(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    link = resets.issue_link(ctx.user, "reset", ctx.user, datetime.now(UTC))
    return f"/reset-password/{link.secret}", {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}


def _first_passwords(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    from cxprogram.auth.models import Role
    from cxprogram.auth.services import create_user

    create_user("waiting@example.test", "Waiting", Role.VIEWER, None)
    return "/users/first-passwords", {}


def _create_token(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    return "/account/tokens/new", {"name": "robot"}


def _revoke_token(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    create_token(ctx.user, "laptop")
    ctx.db_session.flush()
    token = ctx.db_session.query(ApiToken).filter_by(user_id=ctx.user.id).one()
    return f"/account/tokens/{token.id}/revoke", {}


def _import_users(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    content = b"email,name,role,departments\nimported@example.test,Imported,officer,DMV\n"
    token = stash_upload(ctx.user, "users", "users.csv", content)
    return f"/imports/users/{token}", {}


CASES = [
    AuditCase("people.create_user", "admin", _create_user),
    AuditCase("people.edit_user", "admin", _edit_user),
    AuditCase("people.deactivate_user", "admin", _deactivate_user),
    AuditCase("people.reactivate_user", "admin", _reactivate_user),
    AuditCase("people.reset_password", "admin", _reset_password),
    AuditCase("people.give_first_passwords", "admin", _first_passwords),
    AuditCase("people.set_password", "officer", _set_password),
    AuditCase("people.create_api_token", "viewer", _create_token, departments=()),
    AuditCase("people.revoke_api_token", "officer", _revoke_token),
    AuditCase("imports.preview_import", "admin", _import_users, id="imports.preview_import users"),
]
