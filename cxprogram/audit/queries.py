"""Reads of the audit log: one department-period's history, and the whole log for export."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, and_, or_, select

from cxprogram.core.models import AuditEvent


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
