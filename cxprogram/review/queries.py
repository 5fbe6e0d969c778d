"""Reads behind the department plan page: the plan's period, state, lock and reds."""

from __future__ import annotations

from sqlalchemy import Select, or_, select

from cxprogram.auth.models import Role, User
from cxprogram.core.models import AuditEvent
from cxprogram.extensions import db
from cxprogram.metrics.models import (
    ReportingPeriod,
)
from cxprogram.metrics.queries import latest_open_period
from cxprogram.metrics.reds import unexplained_reds
from cxprogram.org.models import Department
from cxprogram.review.models import PlanReview, ReviewState
from cxprogram.strategies.models import Strategy, StrategyStatus


def current_period() -> ReportingPeriod | None:
    """The period whose plan is being worked on: the latest open one, else the latest one."""
    latest_open = latest_open_period()
    if latest_open is not None:
        return latest_open
    return db.session.scalar(
        select(ReportingPeriod).order_by(ReportingPeriod.end_date.desc()).limit(1)
    )


def plan_review(department_id: int, period_id: int) -> PlanReview | None:
    """The stored review of a department's plan for a period (None means draft)."""
    return db.session.scalar(
        select(PlanReview).where(
            PlanReview.department_id == department_id, PlanReview.period_id == period_id
        )
    )


def plan_state(department_id: int, period_id: int) -> ReviewState:
    """draft, submitted, approved or changes requested."""
    review = plan_review(department_id, period_id)
    return review.state if review is not None else ReviewState.DRAFT


def plan_lock_reason(department: Department, period: ReportingPeriod) -> str | None:
    """Why officers may not change this department's plan for this period, or None."""
    if period.is_closed:
        return f"Period {period.label} is closed: {department.code}'s plan for it is locked."
    if plan_state(department.id, period.id) == ReviewState.SUBMITTED:
        return (
            f"{department.code}'s plan for {period.label} is submitted for review: its "
            "strategies are read-only until the chief approves it or asks for changes."
        )
    return None


def strategy_lock_reason(user: User, department: Department) -> str | None:
    """Why this user may not change the department's strategies now (officers only)."""
    if user.role != Role.OFFICER:
        return None
    period = current_period()
    return plan_lock_reason(department, period) if period is not None else None


def unexplained_red_metrics(department_id: int, period_id: int) -> list[str]:
    """Names of metrics whose department score is red with no explanation note (SPEC 4.5)."""
    return sorted(red.metric for red in unexplained_reds(period_id, [department_id]))


def plan_strategies_query(department_id: int, period: ReportingPeriod) -> Select[tuple[Strategy]]:
    """The department's strategies in the period's plan: started by its end, and either
    not ended before it or still open (not done, not cancelled)."""
    is_open = Strategy.status.not_in([StrategyStatus.DONE, StrategyStatus.CANCELLED])
    return (
        select(Strategy)
        .where(Strategy.department_id == department_id)
        .where(or_(Strategy.start_date.is_(None), Strategy.start_date <= period.end_date))
        .where(or_(Strategy.end_date.is_(None), Strategy.end_date >= period.start_date, is_open))
        .order_by(Strategy.title, Strategy.id)
    )


def plan_events_query(department_id: int, period_label: str) -> Select[tuple[AuditEvent]]:
    """Audit events of a department's plan review for one period, newest first."""
    return (
        select(AuditEvent)
        .where(AuditEvent.entity_type == "plan_review")
        .where(AuditEvent.department_id == department_id)
        .where(AuditEvent.period_label == period_label)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    )
