"""Reads behind the home pages: the officer's department detail, the catalog, the admin counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, func, select

from cxprogram.auth.models import Role, User
from cxprogram.extensions import db
from cxprogram.metrics.models import (
    MetricDefinition,
)
from cxprogram.metrics.periods import ReportingWindow
from cxprogram.metrics.reds import DepartmentRed, unexplained_reds
from cxprogram.org.models import Department
from cxprogram.review.progress import is_late_milestone, missing_metrics
from cxprogram.strategies.models import Milestone, Strategy


def metrics_query() -> Select[tuple[MetricDefinition]]:
    """The metric catalog: standard metrics first, then by code."""
    return select(MetricDefinition).order_by(
        MetricDefinition.owner_department_id.is_not(None), MetricDefinition.code
    )


@dataclass(frozen=True)
class LateStrategy:
    """A strategy under way with milestones past their due date."""

    id: int
    title: str
    milestones: list[str]


@dataclass(frozen=True)
class DepartmentDetail:
    """What an officer sees for one department: metrics not entered, reds, late milestones."""

    missing: list[str]
    reds: list[DepartmentRed]
    late: list[LateStrategy]


def department_detail(
    window: ReportingWindow, department: Department, today: date
) -> DepartmentDetail:
    """The metrics not yet entered, the unexplained reds and the late strategies."""
    missing = [m.name for m in missing_metrics(department.id, window.period_id)]
    return DepartmentDetail(
        missing, unexplained_reds(window.period_id, [department.id]), _late(department, today)
    )


def _late(department: Department, today: date) -> list[LateStrategy]:
    rows = db.session.execute(
        select(Strategy.id, Strategy.title, Milestone.title)
        .join(Milestone.strategy)
        .where(Strategy.department_id == department.id, is_late_milestone(today))
        .order_by(Strategy.title, Milestone.due_date)
    )
    late: dict[int, LateStrategy] = {}
    for strategy_id, title, milestone in rows.tuples():
        late.setdefault(strategy_id, LateStrategy(strategy_id, title, [])).milestones.append(
            milestone
        )
    return list(late.values())


def users_by_role() -> dict[Role, int]:
    """How many users hold each role (the administrator's home)."""
    rows = db.session.execute(select(User.role, func.count(User.id)).group_by(User.role))
    return {role: int(count) for role, count in rows.tuples()}


def department_count() -> int:
    """How many departments there are, active or not."""
    return int(db.session.scalar(select(func.count(Department.id))) or 0)
