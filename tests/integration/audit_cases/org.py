"""Audit cases for the department pages (services)."""

from __future__ import annotations

from typing import Any

from cxprogram.models import Service
from tests.integration.audit_cases import AuditCase, Ctx


def _edit_service(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    dept = ctx.user.departments[0]
    service = Service(department=dept, name="Licences", provider="Front office")
    ctx.db_session.add(service)
    ctx.db_session.flush()
    url = f"/departments/{dept.code}/services/{service.id}/edit"
    return url, {"description": "Renewed online.", "version": str(service.version)}


def _change_password(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    return "/account/password", {
        "current_password": "correct horse battery staple",
        "new_password": "a brand new long passphrase",
        "confirm": "a brand new long passphrase",
    }


CASES = [
    AuditCase("org.edit_service", "officer", _edit_service),
    AuditCase("auth.change_password", "officer", _change_password),
]
