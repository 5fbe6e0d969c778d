"""Reads behind the JSON API: each list's query, limited to what the caller reads, and the
one way a list is cut into pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select

from cxprogram.auth.models import User
from cxprogram.core.permissions import limit_to_readable
from cxprogram.extensions import db
from cxprogram.metrics.models import MetricDefinition, Observation, ReportingPeriod
from cxprogram.org.models import Department, Service, ServiceStandard
from cxprogram.org.queries import departments_query
from cxprogram.strategies.models import Strategy

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its number and size, the rows on it, and how many there are."""

    page: int
    page_size: int
    total: int
    rows: list[T]


def paginate(query: Select[tuple[T]], page: int, page_size: int) -> Page[T]:
    """The rows of page `page` (from 1) of an ordered query, with the total count."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = list(db.session.scalars(query.limit(page_size).offset((page - 1) * page_size)))
    return Page(page=page, page_size=page_size, total=int(total or 0), rows=rows)


def readable_departments(reader: User) -> Select[tuple[Department]]:
    """The departments the reader reads, by code."""
    return limit_to_readable(departments_query(), Department.id, reader)


def metrics_by_code() -> Select[tuple[MetricDefinition]]:
    """The metric catalog, by code."""
    return select(MetricDefinition).order_by(MetricDefinition.code)


def periods_by_start() -> Select[tuple[ReportingPeriod]]:
    """Every reporting period, oldest first."""
    return select(ReportingPeriod).order_by(ReportingPeriod.start_date)


def readable_strategies(reader: User) -> Select[tuple[Strategy]]:
    """The strategies of the departments the reader reads, by id."""
    query = select(Strategy).join(Strategy.department).order_by(Strategy.id)
    return limit_to_readable(query, Strategy.department_id, reader)


def readable_observations(
    reader: User, department: str | None, metric: str | None, period: str | None
) -> Select[tuple[Observation]]:
    """Observations the reader reads, by id, optionally of one department, metric, period
    (a department code, a metric code, a period label, already normalised)."""
    query: Select[Any] = (
        select(Observation)
        .join(Observation.department).join(Observation.metric).join(Observation.period)
        .order_by(Observation.id)
    )  # fmt: skip
    if department:
        query = query.where(Department.code == department)
    if metric:
        query = query.where(MetricDefinition.code == metric)
    if period:
        query = query.where(ReportingPeriod.label == period)
    return limit_to_readable(query, Observation.department_id, reader)


def observations_by_id(ids: list[int]) -> Select[tuple[Observation]]:
    """These observations, by id."""
    return select(Observation).where(Observation.id.in_(ids)).order_by(Observation.id)


def readable_standards(reader: User) -> Select[tuple[ServiceStandard]]:
    """The service standards of the departments the reader reads, by code."""
    query = select(ServiceStandard).join(ServiceStandard.service).order_by(ServiceStandard.code)
    return limit_to_readable(query, Service.department_id, reader)
