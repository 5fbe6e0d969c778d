"""How far each department is with a reporting period: metrics reported of those expected,
the plan's review state, open strategies and late milestones, unexplained reds, lateness;
and, for one department, what is left to do in the period (the grid page's list of steps).

The chief's completion tracker, the home pages, the grid and the reminders read it here.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Select, and_, func, select

from cxprogram.core.fiscal import parse_period
from cxprogram.extensions import db
from cxprogram.metrics.models import MetricDefinition, Observation, ReportingPeriod
from cxprogram.metrics.periods import ReportingWindow
from cxprogram.metrics.queries import is_due_clause, reported_clause, reported_metrics_query
from cxprogram.metrics.reds import DepartmentRed, unexplained_reds
from cxprogram.org.models import Department
from cxprogram.review.models import PlanReview, ReviewState
from cxprogram.strategies.models import Milestone, Strategy, StrategyStatus


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
    reds_unexplained: int = 0

    @property
    def completion(self) -> str:
        """reported, partly or missing."""
        if self.metrics_expected and self.metrics_reported >= self.metrics_expected:
            return "reported"
        return "partly" if self.metrics_reported else "missing"


def department_progress(
    window: ReportingWindow, departments: list[Department], today: date
) -> list[DepartmentProgress]:
    """Progress of each department in the reporting window, with a few aggregate queries."""
    ids = [d.id for d in departments]
    quarter = parse_period(window.label).quarter  # a metric counts only where it is due
    expected = _expected_metrics(ids, quarter)
    reported = _count_by_department(
        select(Observation.department_id, func.count(func.distinct(Observation.metric_id)))
        .join(Observation.metric)
        .where(Observation.period_id == window.period_id, Observation.department_id.in_(ids))
        .where(reported_clause(Observation.department_id), is_due_clause(quarter))
        .group_by(Observation.department_id)
    )
    plans = _plan_states(window.period_id, ids)
    open_strategies = _count_by_department(
        select(Strategy.department_id, func.count(Strategy.id))
        .where(Strategy.department_id.in_(ids), Strategy.status.not_in(CLOSED_STRATEGIES))
        .group_by(Strategy.department_id)
    )
    late = _count_by_department(
        select(Strategy.department_id, func.count(Milestone.id))
        .join(Milestone.strategy)
        .where(Strategy.department_id.in_(ids), is_late_milestone(today))
        .group_by(Strategy.department_id)
    )
    reds = Counter(r.department_id for r in unexplained_reds(window.period_id, ids))
    return [
        DepartmentProgress(
            department_id=d.id,
            code=d.code,
            name=d.name,
            metrics_reported=reported.get(d.id, 0),
            metrics_expected=expected.get(d.id, 0),
            plan_state=ReviewState(plans.get(d.id, ReviewState.DRAFT)).value,
            strategies_open=open_strategies.get(d.id, 0),
            milestones_late=late.get(d.id, 0),
            is_late=window.days_to_due < 0 and reported.get(d.id, 0) < expected.get(d.id, 0),
            reds_unexplained=reds.get(d.id, 0),
        )
        for d in departments
    ]


CLOSED_STRATEGIES = (StrategyStatus.DONE, StrategyStatus.CANCELLED)


def _plan_states(period_id: int | None, ids: list[int]) -> dict[int, ReviewState]:
    """The review state of each department's plan in the period (absent: no review yet)."""
    rows = db.session.execute(
        select(PlanReview.department_id, PlanReview.state).where(
            PlanReview.period_id == period_id, PlanReview.department_id.in_(ids)
        )
    )
    return dict(rows.tuples().all())


def is_late_milestone(today: date) -> ColumnElement[bool]:
    """A milestone not done, due before today, of a strategy still under way."""
    return and_(
        Milestone.is_done.is_(False),
        Milestone.due_date < today,
        Strategy.status.not_in(CLOSED_STRATEGIES),
    )


def _expected_metrics(ids: list[int], quarter: int) -> dict[int, int]:
    """How many metrics each department reports in a fiscal quarter (the one rule,
    metrics.queries.reported_clause), of those due in that quarter."""
    rows = db.session.execute(
        select(Department.id, func.count(MetricDefinition.id))
        .join(MetricDefinition, reported_clause(Department.id))
        .where(Department.id.in_(ids), is_due_clause(quarter))
        .group_by(Department.id)
    )
    found = {dept: int(count) for dept, count in rows.tuples()}
    return {i: found.get(i, 0) for i in ids}


def _count_by_department(query: Select[tuple[int, int]]) -> dict[int, int]:
    return {dept: int(count) for dept, count in db.session.execute(query).tuples()}


def missing_metrics(department_id: int, period_id: int | None) -> list[MetricDefinition]:
    """The metrics the department reports with no value of it in the period, in catalog
    order (the home page and the grid's list of what is left say the same)."""
    entered = set(
        db.session.scalars(
            select(Observation.metric_id).where(
                Observation.period_id == period_id, Observation.department_id == department_id
            )
        )
    )
    quarter = db.session.scalar(select(ReportingPeriod.quarter).where(
        ReportingPeriod.id == period_id)) if period_id is not None else None  # fmt: skip
    metrics = db.session.scalars(reported_metrics_query(department_id, quarter))
    return [m for m in metrics if m.id not in entered]  # only those due in the period


@dataclass(frozen=True)
class WhatIsLeft:
    """What a department still has to do in a period: reds to explain (SPEC 4.5, the rule
    of metrics.reds), metrics without a value, and the plan to submit."""

    period_label: str
    reds: list[DepartmentRed]
    missing: list[MetricDefinition]
    plan_state: ReviewState

    @property
    def is_plan_due(self) -> bool:
        """The plan waits for the department (a draft, or sent back with changes)."""
        return self.plan_state in (ReviewState.DRAFT, ReviewState.CHANGES_REQUESTED)

    @property
    def can_submit(self) -> bool:
        """The plan is due and no red blocks it (review.services.submit_plan's rule)."""
        return self.is_plan_due and not self.reds

    @property
    def is_done(self) -> bool:
        """Nothing left: every red explained, every metric entered, the plan sent."""
        return not (self.reds or self.missing or self.is_plan_due)


def what_is_left(department: Department, period: ReportingPeriod) -> WhatIsLeft:
    """The department's steps still open in the period, in the order an officer takes them."""
    reds = unexplained_reds(period.id, [department.id])
    state = _plan_states(period.id, [department.id]).get(department.id, ReviewState.DRAFT)
    return WhatIsLeft(
        period.label, reds, missing_metrics(department.id, period.id), ReviewState(state)
    )
