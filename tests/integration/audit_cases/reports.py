"""Audit cases for the quarterly report (the chief asks for one)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cxprogram.core.fiscal import parse_period
from cxprogram.metrics import services
from cxprogram.metrics.catalog import STANDARD_METRICS
from cxprogram.models import Observation
from cxprogram.rollup.services import run_rollup
from tests.integration.audit_cases import AuditCase, Ctx


def _request(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    period, _ = services.ensure_period(parse_period("FY2023-Q1"), 10)
    metric, _ = services.ensure_metric(STANDARD_METRICS[0])
    dept = ctx.make_department("VA")
    ctx.db_session.add(Observation(department=dept, metric=metric, period=period, value=4.0))
    run_rollup(period, datetime.now(UTC))
    return "/reports", {"period": period.label}


CASES = [AuditCase("reports.request_report", "chief", _request, departments=())]
