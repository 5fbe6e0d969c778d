"""Reads over strategies: the filtered list, form choices and a strategy's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, or_, select

from cxprogram.auth.models import User
from cxprogram.core.models import AuditEvent
from cxprogram.core.permissions import limit_to_readable
from cxprogram.extensions import db
from cxprogram.metrics.models import Driver, MetricDefinition, PeriodState, ReportingPeriod
from cxprogram.org.models import Department
from cxprogram.org.queries import active_departments_query
from cxprogram.strategies.models import (
    Milestone,
    Strategy,
    StrategyDriver,
    StrategyStatus,
    StrategyTouchpoint,
    StrategyUpdate,
)


@dataclass(frozen=True)
class StrategyFilter:
    """What the list is narrowed to; None means any."""

    department_id: int | None = None
    status: StrategyStatus | None = None
    driver: Driver | None = None
    channel_id: int | None = None


def strategies_query(filters: StrategyFilter, reader: User) -> Select[tuple[Strategy]]:
    """Strategies matching the filters, among the departments the reader reads."""
    query = select(Strategy).join(Strategy.department).order_by(Department.code, Strategy.title)
    query = limit_to_readable(query, Strategy.department_id, reader)
    if filters.department_id is not None:
        query = query.where(Strategy.department_id == filters.department_id)
    if filters.status is not None:
        query = query.where(Strategy.status == filters.status)
    if filters.driver is not None:
        query = query.where(Strategy.drivers.any(StrategyDriver.driver == filters.driver))
    if filters.channel_id is not None:
        query = query.where(
            Strategy.touchpoints.any(StrategyTouchpoint.channel_id == filters.channel_id)
        )
    return query


def departments_query(reader: User) -> Select[tuple[Department]]:
    """Active departments the reader reads, by code (the list's filter choices)."""
    return limit_to_readable(active_departments_query(), Department.id, reader)


def updates_query(strategy_id: int) -> Select[tuple[StrategyUpdate]]:
    """A strategy's progress updates, newest first."""
    return (
        select(StrategyUpdate)
        .where(StrategyUpdate.strategy_id == strategy_id)
        .order_by(StrategyUpdate.created_at.desc(), StrategyUpdate.id.desc())
    )


def linkable_metrics(department_id: int) -> list[MetricDefinition]:
    """Metrics a strategy of this department may link: standard ones and its own."""
    query = (
        select(MetricDefinition)
        .where(
            or_(
                MetricDefinition.owner_department_id.is_(None),
                MetricDefinition.owner_department_id == department_id,
            )
        )
        .order_by(MetricDefinition.owner_department_id.is_not(None), MetricDefinition.name)
    )
    return list(db.session.scalars(query))


def is_late(milestone: Milestone, today: date) -> bool:
    """A milestone is late when its due date has passed and it is not done."""
    return not milestone.is_done and milestone.due_date is not None and milestone.due_date < today


def history_query(strategy_id: int) -> Select[tuple[AuditEvent]]:
    """The audit events of one strategy, newest first."""
    return (
        select(AuditEvent)
        .where(AuditEvent.entity_type == "strategy", AuditEvent.entity_id == str(strategy_id))
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    )


def open_periods_query() -> Select[tuple[ReportingPeriod]]:
    """The open reporting periods, latest first: those a progress update may report on."""
    return (
        select(ReportingPeriod)
        .where(ReportingPeriod.state == PeriodState.OPEN)
        .order_by(ReportingPeriod.end_date.desc())
    )
