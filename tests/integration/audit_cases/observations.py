"""Audit cases for the observations import's confirmation and POST /api/v1/observations."""

from __future__ import annotations

from typing import Any

from cxprogram.imports.uploads import stash_upload
from cxprogram.metrics import services as metric_services
from cxprogram.org import services as org_services
from tests.integration.audit_cases import AuditCase, Ctx


def _catalog() -> None:
    org_services.ensure_settings()
    metric_services.ensure_vocabularies()
    metric_services.ensure_standard_metrics()


def _confirm_import(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    _catalog()
    content = b"department,metric,period,value,n\nDMV,satisfaction,FY2023-Q1,4.1,80\n"
    token = stash_upload(ctx.user, "observations", "obs.csv", content)
    return f"/imports/observations/{token}", {}


def _post_observations(ctx: Ctx) -> tuple[str, list[dict[str, Any]]]:
    _catalog()
    item = {"department": "DMV", "metric": "ease", "period": "FY2023-Q1", "value": 3.5, "n": 40}
    return "/api/v1/observations", [item]


CASES = [
    AuditCase("imports.preview_import", "officer", _confirm_import, id="confirm-observations"),
    AuditCase("api.create_observations", "officer", _post_observations, is_json=True),
]
