"""Write audit events in the same transaction as the change they describe."""

from __future__ import annotations

from typing import Any

from cxprogram.auth.models import User
from cxprogram.core.models import AuditEvent
from cxprogram.extensions import db


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
