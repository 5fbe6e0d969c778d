"""Audit cases for the administration pages: settings, departments, services, their imports."""

from __future__ import annotations

from typing import Any

from cxprogram.imports.uploads import stash_upload
from cxprogram.models import Channel, Service
from cxprogram.org import services as org_services
from tests.integration.audit_cases import AuditCase, Ctx


def _settings(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    org = org_services.ensure_settings("Before")
    ctx.db_session.flush()
    return "/admin/organization", {
        "name": "After", "fiscal_year_start_month": str(org.fiscal_year_start_month),
        "due_days": "30", "grace_days": "5", "reminder_days_before": "7",
        "time_zone": "UTC", "smtp_sender_name": "CX", "version": str(org.version),
    }  # fmt: skip


def _calendar(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    org = org_services.ensure_settings()
    ctx.db_session.flush()
    return "/admin/organization", {
        "fiscal_year_start_month": "7", "due_days": "45", "grace_days": "3",
        "version": str(org.version),
    }  # fmt: skip


def _new_department(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    return "/admin/departments/new", {"code": "PARKS", "name": "Parks", "parent": ""}


def _edit_department(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    dept = ctx.make_department("OLD")
    return f"/admin/departments/{dept.code}/edit", {
        "code": "NEW", "name": "Renamed", "parent": "", "version": str(dept.version),
    }  # fmt: skip


def _deactivate_department(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    dept = ctx.make_department("OLD")
    return f"/admin/departments/{dept.code}/deactivate", {"version": str(dept.version)}


def _reactivate_department(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    dept = ctx.make_department("OLD", is_active=False)
    return f"/admin/departments/{dept.code}/reactivate", {"version": str(dept.version)}


def _new_service(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    dept = ctx.make_department("OLD")
    return f"/admin/departments/{dept.code}/services/new", {"name": "Permits", "description": ""}


def _service(ctx: Ctx, *, active: bool = True) -> Service:
    dept = ctx.make_department("OLD")
    service = Service(department=dept, name="Permits", provider="", is_active=active)
    ctx.db_session.add(service)
    ctx.db_session.flush()
    return service


def _edit_service(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    service = _service(ctx)
    url = f"/admin/departments/OLD/services/{service.id}/edit"
    return url, {"name": "Park permits", "description": "", "version": str(service.version)}


def _deactivate_service(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    service = _service(ctx)
    url = f"/admin/departments/OLD/services/{service.id}/deactivate"
    return url, {"version": str(service.version)}


def _reactivate_service(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    service = _service(ctx, active=False)
    url = f"/admin/departments/OLD/services/{service.id}/reactivate"
    return url, {"version": str(service.version)}


def _import_departments(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    content = b"code,name,parent\nONB1,Licensing,\nONB3,Call centre,ONB1\n"
    token = stash_upload(ctx.user, "departments", "departments.csv", content)
    return f"/imports/departments/{token}", {}


def _import_services(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    ctx.make_department("OLD")
    content = b"department,service,channels,journey_stages\nOLD,Permits,web;phone,apply\n"
    token = stash_upload(ctx.user, "services", "services.csv", content)
    return f"/imports/services/{token}", {}


def _channel(ctx: Ctx, *, retired: bool = False) -> Channel:
    channel = Channel(code="fax", name="Fax", is_retired=retired)
    ctx.db_session.add(channel)
    ctx.db_session.flush()
    return channel


def _new_channel(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    return "/admin/vocabularies/channels/new", {"code": "", "name": "Fax"}


def _rename_channel(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    channel = _channel(ctx)
    url = f"/admin/vocabularies/channels/{channel.id}/edit"
    return url, {"name": "Fax line", "version": str(channel.version)}


def _retire_channel(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    channel = _channel(ctx)
    return f"/admin/vocabularies/channels/{channel.id}/retire", {"version": str(channel.version)}


def _restore_channel(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    channel = _channel(ctx, retired=True)
    return f"/admin/vocabularies/channels/{channel.id}/restore", {"version": "1"}


CASES = [
    AuditCase("admin.edit_settings", "admin", _settings, departments=()),
    AuditCase("admin.edit_settings", "chief", _calendar, departments=(), id="settings chief"),
    AuditCase("admin.new_department", "admin", _new_department, departments=()),
    AuditCase("admin.edit_department", "admin", _edit_department, departments=()),
    AuditCase("admin.deactivate_department", "admin", _deactivate_department, departments=()),
    AuditCase("admin.reactivate_department", "admin", _reactivate_department, departments=()),
    AuditCase("admin.new_service", "admin", _new_service, departments=()),
    AuditCase("admin.edit_service", "admin", _edit_service, departments=()),
    AuditCase("admin.deactivate_service", "admin", _deactivate_service, departments=()),
    AuditCase("admin.reactivate_service", "admin", _reactivate_service, departments=()),
    AuditCase("admin.new_term", "admin", _new_channel, departments=()),
    AuditCase("admin.edit_term", "admin", _rename_channel, departments=()),
    AuditCase("admin.retire_term", "admin", _retire_channel, departments=()),
    AuditCase("admin.restore_term", "admin", _restore_channel, departments=()),
    AuditCase("imports.preview_import", "admin", _import_departments, departments=(),
              id="imports.preview_import departments"),
    AuditCase("imports.preview_import", "admin", _import_services, departments=(),
              id="imports.preview_import services"),
]  # fmt: skip
