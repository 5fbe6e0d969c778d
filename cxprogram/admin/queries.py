"""Reads of the administration pages: departments by status, what periods hold."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select

from cxprogram.extensions import db
from cxprogram.metrics.models import Observation, PeriodState, ReportingPeriod
from cxprogram.org.models import (
    Channel,
    Department,
    JourneyStage,
    service_channels,
    service_journey_stages,
)
from cxprogram.reports.models import QuarterlyReport
from cxprogram.review.models import PlanReview

STATUSES = ("active", "inactive", "all")


def departments_admin_query(status: str = "active") -> Select[tuple[Department]]:
    """Departments by code, filtered by status: active, inactive or all."""
    query = select(Department).order_by(Department.code)
    if status == "active":
        return query.where(Department.is_active.is_(True))
    if status == "inactive":
        return query.where(Department.is_active.is_(False))
    return query


def parent_map() -> dict[str, str | None]:
    """Every department's code with its parent's code (None at the top)."""
    parent = db.aliased(Department)
    rows = db.session.execute(
        select(Department.code, parent.code).outerjoin(parent, Department.parent_id == parent.id)
    )
    return dict(rows.tuples().all())


def observation_count(department_id: int) -> int:
    """How many observations a department holds (shown before deactivation)."""
    query = select(func.count(Observation.id)).where(Observation.department_id == department_id)
    return int(db.session.scalar(query) or 0)


@dataclass(frozen=True)
class PeriodData:
    """What the reporting periods hold: a calendar change may not relabel any of it."""

    periods_with_data: int
    observations: int
    closed_periods: int
    reviews: int
    reports: int

    @property
    def has_data(self) -> bool:
        """True when any period holds anything the labels describe."""
        return self.periods_with_data > 0


def _count(query: Select[tuple[int]]) -> int:
    return int(db.session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def period_data() -> PeriodData:
    """Count the periods holding observations, plan reviews or reports, or closed."""
    used = select(ReportingPeriod.id).where(
        or_(
            ReportingPeriod.state == PeriodState.CLOSED,
            ReportingPeriod.id.in_(select(Observation.period_id)),
            ReportingPeriod.id.in_(select(PlanReview.period_id)),
            ReportingPeriod.id.in_(select(QuarterlyReport.period_id)),
        )
    )
    closed = select(ReportingPeriod.id).where(ReportingPeriod.state == PeriodState.CLOSED)
    return PeriodData(
        periods_with_data=_count(used),
        observations=_count(select(Observation.id)),
        closed_periods=_count(closed),
        reviews=_count(select(PlanReview.id)),
        reports=_count(select(QuarterlyReport.id)),
    )


@dataclass(frozen=True)
class TermUse:
    """What holds a channel or journey stage: services offered through it, observations."""

    services: int
    observations: int


def channel_uses() -> dict[int, TermUse]:
    """Per channel id: the services offered through it and the observations naming it."""
    linked = _counts(select(service_channels.c.channel_id, func.count())
                     .group_by(service_channels.c.channel_id))  # fmt: skip
    observed = _counts(select(Observation.channel_id, func.count())
                       .where(Observation.channel_id.is_not(None))
                       .group_by(Observation.channel_id))  # fmt: skip
    ids = db.session.scalars(select(Channel.id))
    return {i: TermUse(linked.get(i, 0), observed.get(i, 0)) for i in ids}


def stage_uses() -> dict[int, TermUse]:
    """Per journey stage id: the services serving it (observations name no stage)."""
    linked = _counts(select(service_journey_stages.c.stage_id, func.count())
                     .group_by(service_journey_stages.c.stage_id))  # fmt: skip
    return {i: TermUse(linked.get(i, 0), 0) for i in db.session.scalars(select(JourneyStage.id))}


def _counts(query: Select[tuple[int | None, int]] | Select[tuple[int, int]]) -> dict[int, int]:
    return {key: int(n) for key, n in db.session.execute(query).tuples() if key is not None}
