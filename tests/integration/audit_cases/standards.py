"""Audit cases for the service-standard pages (create, edit, retire, reinstate)."""

from __future__ import annotations

from typing import Any

from cxprogram.admin import standards
from cxprogram.metrics import services as metric_services
from cxprogram.metrics.catalog import WITHIN_STANDARD as WITHIN
from cxprogram.models import Service, ServiceStandard
from tests.integration.audit_cases import AuditCase, Ctx


def _service(ctx: Ctx) -> tuple[Service, str]:
    dept = ctx.make_department("STD")
    service = Service(department=dept, name="Permits", provider="")
    ctx.db_session.add(service)
    ctx.db_session.flush()
    return service, metric_services.ensure_metric(WITHIN)[0].code


def _standard(ctx: Ctx, *, retired: bool = False) -> ServiceStandard:
    service, metric_id = _service(ctx)
    data = standards.StandardData("STD-1", "Decide within 10 days", metric_id, 80.0)
    standard = standards.create_standard(service, data, None)
    if retired:
        standards.set_standard_retired(standard, True, standard.version, None)
    return standard


def _base(standard: ServiceStandard) -> str:
    return f"/admin/departments/STD/services/{standard.service_id}/standards/{standard.id}"


def _new(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    service, metric_id = _service(ctx)
    url = f"/admin/departments/STD/services/{service.id}/standards/new"
    return url, {"code": "STD-2", "text": "Answer within 60 s", "metric": metric_id,
                 "target": "85", "channel": "0"}  # fmt: skip


def _edit(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    standard = _standard(ctx)
    return f"{_base(standard)}/edit", {
        "code": "STD-1", "text": "Decide within 7 days", "metric": standard.metric.code,
        "target": "75", "channel": "0", "version": str(standard.version),
    }  # fmt: skip


def _retire(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    standard = _standard(ctx)
    return f"{_base(standard)}/retire", {"version": str(standard.version)}


def _reinstate(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    standard = _standard(ctx, retired=True)
    return f"{_base(standard)}/reinstate", {"version": str(standard.version)}


CASES = [
    AuditCase("admin.new_standard", "admin", _new, departments=()),
    AuditCase("admin.edit_standard", "admin", _edit, departments=()),
    AuditCase("admin.retire_standard", "admin", _retire, departments=()),
    AuditCase("admin.reinstate_standard", "admin", _reinstate, departments=()),
]
