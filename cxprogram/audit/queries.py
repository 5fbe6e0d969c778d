"""Reads of the audit log: one department-period's history, the names its sentences use,
and the whole log for export."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, and_, or_, select

from cxprogram.audit.wording import MetricLook, Names
from cxprogram.auth.models import User
from cxprogram.core.models import AuditEvent
from cxprogram.extensions import db
from cxprogram.metrics.display import decimals_of
from cxprogram.metrics.models import MetricDefinition, ReportingPeriod
from cxprogram.metrics.queries import latest_open_period
from cxprogram.org.models import Channel, Department, Service
from cxprogram.org.queries import organization_settings
from cxprogram.strategies.models import Strategy


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def history_query(
    department_id: int, period_label: str, start: date, until: date
) -> Select[tuple[AuditEvent]]:
    """Events of a department in a period, the period's own (close, reopen), and the
    department's other events (strategies, services) from the period's start to `until`."""
    window = and_(
        AuditEvent.period_label.is_(None),
        AuditEvent.occurred_at >= _start_of(start),
        AuditEvent.occurred_at < _start_of(until + timedelta(days=1)),
    )
    return (
        select(AuditEvent)
        .where(
            or_(
                and_(AuditEvent.department_id == department_id,
                     or_(AuditEvent.period_label == period_label, window)),
                and_(AuditEvent.department_id.is_(None), AuditEvent.period_label == period_label),
            )
        )
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    )  # fmt: skip


def export_query(start: date | None, end: date | None) -> Select[tuple[AuditEvent]]:
    """The whole log in order, optionally from `start` to `end` inclusive (UTC days)."""
    query = select(AuditEvent).order_by(AuditEvent.occurred_at, AuditEvent.id)
    if start is not None:
        query = query.where(AuditEvent.occurred_at >= _start_of(start))
    if end is not None:
        query = query.where(AuditEvent.occurred_at < _start_of(end + timedelta(days=1)))
    return query


def history_until(period: ReportingPeriod, due: date, today: date) -> date:
    """The last day whose other changes (strategies, services) belong to a period's history:
    its due date; for the open period departments report on, today when that is later."""
    latest = latest_open_period()
    if latest is not None and latest.id == period.id:
        return max(due, today)
    return due


def names_for(events: Sequence[AuditEvent]) -> Names:
    """The people, metrics, channels, departments and strategies these events name."""
    people = {e.actor_id for e in events if e.actor_id is not None}
    departments = {e.department_id for e in events if e.department_id is not None}
    strategies, services = _ids_of(events, "strategy"), _ids_of(events, "service")
    return Names(
        people=_pairs(select(User.id, User.name).where(User.id.in_(people))),
        metrics=metric_looks(),
        channels=_pairs(select(Channel.code, Channel.name)),
        departments=_pairs(select(Department.id, Department.code)
                           .where(Department.id.in_(departments))),  # fmt: skip
        strategies={str(k): v for k, v in _pairs(
            select(Strategy.id, Strategy.title).where(Strategy.id.in_(strategies))).items()},
        services={str(k): v for k, v in _pairs(
            select(Service.id, Service.name).where(Service.id.in_(services))).items()},
    )  # fmt: skip


def _ids_of(events: Sequence[AuditEvent], entity_type: str) -> set[int]:
    return {int(e.entity_id) for e in events
            if e.entity_type == entity_type and e.entity_id.isdigit()}  # fmt: skip


def metric_looks() -> dict[str, MetricLook]:
    """Every metric's name, unit and display precision (its own decimals, else its unit's
    usual ones: metrics.display.decimals_of), by code."""
    query = select(MetricDefinition.code, MetricDefinition.name, MetricDefinition.unit,
                   MetricDefinition.decimals)  # fmt: skip
    return {
        code: MetricLook(name, unit.value, decimals_of(decimals, unit.value))
        for code, name, unit, decimals in db.session.execute(query)
    }


def _pairs(query: Select[Any]) -> dict[Any, Any]:
    return dict(db.session.execute(query).tuples().all())


def organization_zone() -> tzinfo:
    """The organization's time zone (UTC when the stored name is unknown)."""
    try:
        return ZoneInfo(organization_settings().time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC
