"""Write audit events in the same transaction as the change they describe."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, insert

from cxprogram.auth.models import User
from cxprogram.core.models import AuditEvent, utcnow
from cxprogram.extensions import db


@dataclass(frozen=True)
class Event:
    """One audit event to write with record_many: what record() takes, as data."""

    action: str
    entity_type: str
    entity_id: object
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    department_id: int | None = None
    period_label: str | None = None
    reason: str | None = None


def record(
    action: str,
    entity_type: str,
    entity_id: object,
    *,
    actor: User | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    department_id: int | None = None,
    period_label: str | None = None,
    reason: str | None = None,
) -> AuditEvent:
    """Add one audit event to the session (flushed with the change, never committed here)."""
    event = AuditEvent(
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        actor_id=actor.id if actor is not None else None,
        actor_label=actor.email if actor is not None else "system",
        before=before,
        after=after,
        department_id=department_id,
        period_label=period_label,
        reason=reason,
    )
    db.session.add(event)
    return event


def record_many(events: Iterable[Event], *, actor: User | None = None) -> int:
    """Write many audit events with one statement (an import's thousands of rows): the same
    rows record() writes, in the same transaction; returns how many."""
    occurred_at = utcnow()
    rows = [
        {
            "occurred_at": occurred_at,
            "action": e.action,
            "entity_type": e.entity_type,
            "entity_id": str(e.entity_id),
            "actor_id": actor.id if actor is not None else None,
            "actor_label": actor.email if actor is not None else "system",
            "before": e.before,
            "after": e.after,
            "department_id": e.department_id,
            "period_label": e.period_label,
            "reason": e.reason,
        }
        for e in events
    ]
    if rows:  # Core: the ORM's bulk insert adds its own work per row
        db.session.connection().execute(insert(cast(Table, AuditEvent.__table__)), rows)
    return len(rows)
