"""Audit cases for the strategy pages and the department plan's review actions."""

from __future__ import annotations

from typing import Any

from cxprogram.core.fiscal import parse_period
from cxprogram.metrics import services as metric_services
from cxprogram.models import Milestone, PlanReview, ReportingPeriod, Strategy
from cxprogram.review.models import ReviewState
from tests.integration.audit_cases import AuditCase, Ctx


def _strategy(ctx: Ctx) -> Strategy:
    strategy = Strategy(department=ctx.user.departments[0], title="Call-back instead of hold")
    strategy.milestones.append(Milestone(title="Pick a vendor"))
    ctx.db_session.add(strategy)
    ctx.db_session.flush()
    return strategy


def _create(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    code = ctx.user.departments[0].code
    return f"/strategies/new/{code}", {"title": "Plain letters", "status": "on_track",
                                       "progress": "5"}  # fmt: skip


def _edit(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    s = _strategy(ctx)
    data = {"title": "Call-back for all lines", "status": "at_risk", "progress": "40",
            "version": str(s.version)}  # fmt: skip
    return f"/strategies/{s.id}/edit", data


def _cancel(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    s = _strategy(ctx)
    return f"/strategies/{s.id}/cancel", {"reason": "Superseded.", "version": str(s.version)}


def _update(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    s = _strategy(ctx)
    _period()  # an update reports on a period: the current one unless chosen
    data = {"commentary": "Vendor chosen.", "update_progress": "20", "version": str(s.version)}
    return f"/strategies/{s.id}/updates", data


def _milestone(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    s = _strategy(ctx)
    data = {"milestone_title": "Pilot", "milestone_due": "2030-01-01", "version": str(s.version)}
    return f"/strategies/{s.id}/milestones", data


def _tick(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    s = _strategy(ctx)
    url = f"/strategies/{s.id}/milestones/{s.milestones[0].id}/done"
    return url, {"done": "1", "version": str(s.version)}


def _period() -> ReportingPeriod:
    period, _ = metric_services.ensure_period(parse_period("FY2023-Q1"), 10)
    return period


def _submit(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    _period()
    return f"/departments/{ctx.user.departments[0].code}/plan/FY2023-Q1/submit", {}


def _submitted_plan(ctx: Ctx) -> str:
    dept = ctx.make_department("PLN")
    period = _period()
    ctx.db_session.add(
        PlanReview(department_id=dept.id, period_id=period.id, state=ReviewState.SUBMITTED)
    )
    return f"/departments/{dept.code}/plan/{period.label}/decide"


def _approve(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    return _submitted_plan(ctx), {"decision": "approve", "comment": "Good plan."}


def _request_changes(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    return _submitted_plan(ctx), {"decision": "request_changes", "comment": "Add dates."}


CASES = [
    AuditCase("strategies.create_strategy", "officer", _create),
    AuditCase("strategies.edit_strategy", "officer", _edit),
    AuditCase("strategies.cancel_strategy", "officer", _cancel),
    AuditCase("strategies.add_update", "officer", _update),
    AuditCase("strategies.add_milestone", "officer", _milestone),
    AuditCase("strategies.tick_milestone", "officer", _tick),
    AuditCase("review.submit_plan", "officer", _submit),
    AuditCase("review.decide_plan", "chief", _approve, departments=(), id="review.approve"),
    AuditCase(
        "review.decide_plan", "chief", _request_changes, departments=(), id="review.request_changes"
    ),  # fmt: skip
]
