"""Audit cases for the rollup actions ("Recompute now")."""

from __future__ import annotations

from typing import Any

from cxprogram.core.fiscal import parse_period
from cxprogram.metrics import services
from cxprogram.metrics.catalog import STANDARD_METRICS
from cxprogram.models import Observation
from tests.integration.audit_cases import AuditCase, Ctx


def _recompute(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    period, _ = services.ensure_period(parse_period("FY2023-Q1"), 10)
    metric, _ = services.ensure_metric(STANDARD_METRICS[0])
    dept = ctx.make_department("VA")
    ctx.db_session.add(Observation(department=dept, metric=metric, period=period, value=4.0))
    return f"/rollups/{period.label}/recompute", {"next": "/"}


CASES = [AuditCase("rollup.recompute", "chief", _recompute, departments=())]
