"""Audit cases for the metrics pages: the data-entry grid, the catalog and the periods."""

from __future__ import annotations

from typing import Any

from cxprogram.core.fiscal import FiscalQuarter
from cxprogram.metrics import services as metric_services
from cxprogram.metrics.models import PeriodState
from tests.integration.audit_cases import AuditCase, Ctx

QUARTER = FiscalQuarter(2024, 1)


def _grid(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    metric = metric_services.ensure_standard_metrics()[0]
    metric_services.ensure_period(QUARTER, 10)
    key = f"n{metric.id}-0-0"
    url = f"/departments/DMV/periods/{QUARTER.label}/entry"
    return url, {"row": key, f"{key}-value": "4.5", f"{key}-n": "10", f"{key}-note": ""}


def _close(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    metric_services.ensure_period(QUARTER, 10)
    return f"/periods/{QUARTER.label}/close", {"reason": "Quarter final."}


def _reopen(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    period, _ = metric_services.ensure_period(QUARTER, 10)
    period.state = PeriodState.CLOSED
    return f"/periods/{QUARTER.label}/reopen", {"reason": "A late correction."}


FIELDS = {
    "name": "Callback wait", "description": "Minutes until the call-back.", "kind": "operational",
    "unit": "minutes", "direction": "lower", "aggregation": "mean", "weighting": "equal",
    "target": "30", "tolerance": "10", "driver": "", "scale_min": "0", "scale_max": "1440",
}  # fmt: skip


def _create(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    owner = ctx.user.departments[0]
    return "/metrics/new", {**FIELDS, "code": "callback_wait", "owner": str(owner.id)}


def _edit(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    metric = metric_services.ensure_standard_metrics()[0]
    data = {**FIELDS, "kind": "survey", "unit": "points", "direction": "higher"}
    return f"/metrics/{metric.code}/edit", {**data, "version": str(metric.version)}


CASES = [
    AuditCase("metrics.edit_grid", "officer", _grid),
    AuditCase("metrics.close_period", "chief", _close),
    AuditCase("metrics.reopen_period", "chief", _reopen),
    AuditCase("metrics.create_metric", "officer", _create),
    AuditCase("metrics.edit_metric", "chief", _edit),
]
