"""Reads behind the home pages: the reporting period and each department's progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, func, select

from cxprogram.core.fiscal import FiscalQuarter, due_date, parse_period, quarter_of
from cxprogram.extensions import db
from cxprogram.metrics.models import MetricDefinition, Observation, PeriodState, ReportingPeriod
from cxprogram.org.models import Department, OrgSettings
from cxprogram.review.models import PlanReview, ReviewState
from cxprogram.strategies.models import Milestone, Strategy, StrategyStatus


@dataclass(frozen=True)
class ReportingWindow:
    """The period being reported and when its data is due."""

    label: str
    period_id: int | None
    start: date
    end: date
    due: date
    days_to_due: int


@dataclass(frozen=True)
class DepartmentProgress:
    """One department's progress in the reporting period (home pages, completion tracker)."""

    department_id: int
    code: str
    name: str
    metrics_reported: int
    metrics_expected: int
    plan_state: str
    strategies_open: int
    milestones_late: int
    is_late: bool

    @property
    def completion(self) -> str:
        """reported, partly or missing."""
        if self.metrics_expected and self.metrics_reported >= self.metrics_expected:
            return "reported"
        return "partly" if self.metrics_reported else "missing"


def settings() -> OrgSettings:
    """The organization settings row (defaults when none is stored)."""
    return db.session.scalar(select(OrgSettings).limit(1)) or OrgSettings(
        fiscal_year_start_month=10, due_days=30, grace_days=5, name="cxprogram"
    )


def reporting_window(today: date) -> ReportingWindow:
    """The latest open period on record, else the quarter that ended most recently."""
    org = settings()
    period = db.session.scalar(
        select(ReportingPeriod)
        .where(ReportingPeriod.state == PeriodState.OPEN)
        .order_by(ReportingPeriod.end_date.desc())
        .limit(1)
    )
    start_month = org.fiscal_year_start_month
    quarter: FiscalQuarter = (
        parse_period(period.label) if period else quarter_of(today, start_month).previous()
    )
    due = due_date(quarter, start_month, org.due_days)
    return ReportingWindow(
        label=quarter.label,
        period_id=period.id if period else None,
        start=quarter.start(start_month),
        end=quarter.end(start_month),
        due=due,
        days_to_due=(due - today).days,
    )


def departments_query(ids: set[int] | None = None) -> Select[tuple[Department]]:
    """Active departments, by code, optionally only the given ids."""
    query = select(Department).where(Department.is_active.is_(True)).order_by(Department.code)
    return query if ids is None else query.where(Department.id.in_(ids))


def department_progress(
    window: ReportingWindow, departments: list[Department], today: date
) -> list[DepartmentProgress]:
    """Progress of each department in the reporting window, with a few aggregate queries."""
    ids = [d.id for d in departments]
    expected = int(
        db.session.scalar(
            select(func.count(MetricDefinition.id)).where(
                MetricDefinition.owner_department_id.is_(None)
            )
        )
        or 0
    )
    reported = _count_by_department(
        select(Observation.department_id, func.count(func.distinct(Observation.metric_id)))
        .where(Observation.period_id == window.period_id, Observation.department_id.in_(ids))
        .group_by(Observation.department_id)
    )
    plan_rows = db.session.execute(
        select(PlanReview.department_id, PlanReview.state).where(
            PlanReview.period_id == window.period_id, PlanReview.department_id.in_(ids)
        )
    )
    plans = dict(plan_rows.tuples().all())
    open_strategies = _count_by_department(
        select(Strategy.department_id, func.count(Strategy.id))
        .where(Strategy.department_id.in_(ids))
        .where(Strategy.status.not_in([StrategyStatus.DONE, StrategyStatus.CANCELLED]))
        .group_by(Strategy.department_id)
    )
    late = _count_by_department(
        select(Strategy.department_id, func.count(Milestone.id))
        .join(Milestone.strategy)
        .where(Strategy.department_id.in_(ids), Milestone.is_done.is_(False))
        .where(Milestone.due_date < today)
        .where(Strategy.status.not_in([StrategyStatus.DONE, StrategyStatus.CANCELLED]))
        .group_by(Strategy.department_id)
    )
    return [
        DepartmentProgress(
            department_id=d.id,
            code=d.code,
            name=d.name,
            metrics_reported=reported.get(d.id, 0),
            metrics_expected=expected,
            plan_state=ReviewState(plans.get(d.id, ReviewState.DRAFT)).value,
            strategies_open=open_strategies.get(d.id, 0),
            milestones_late=late.get(d.id, 0),
            is_late=window.days_to_due < 0 and reported.get(d.id, 0) < expected,
        )
        for d in departments
    ]


def _count_by_department(query: Select[tuple[int, int]]) -> dict[int, int]:
    return {dept: int(count) for dept, count in db.session.execute(query).tuples()}


def metrics_query() -> Select[tuple[MetricDefinition]]:
    """The metric catalog: standard metrics first, then by code."""
    return select(MetricDefinition).order_by(
        MetricDefinition.owner_department_id.is_not(None), MetricDefinition.code
    )
