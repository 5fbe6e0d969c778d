"""Writes on departments and services. Flushes, never commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified

from cxprogram.admin import calc
from cxprogram.auth.models import User
from cxprogram.core import audit
from cxprogram.extensions import db
from cxprogram.org.models import Channel, JourneyStage, OrgSettings, Service
from cxprogram.org.settings import DEFAULTS


def ensure_settings(name: str | None = None) -> OrgSettings:
    """The organization settings row, created with defaults when missing."""
    org = db.session.scalar(select(OrgSettings).limit(1))
    if org is None:
        org = OrgSettings(name=name or DEFAULTS.name)
        db.session.add(org)
        db.session.flush()
    elif name:
        org.name = name
    return org


@dataclass(frozen=True)
class ServiceChange:
    """The new state of a service as a person typed it, with the version they started from."""

    description: str
    channel_ids: list[int]
    stage_ids: list[int]
    version: int


class EditConflict(Exception):
    """Someone else saved the record after this person opened it."""


class RetiredTermError(ValueError):
    """A new link to a retired channel or journey stage; names the field and the reason."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def service_state(service: Service) -> dict[str, object]:
    """A service as plain data, for audit events and conflict pages."""
    return {
        "name": service.name,
        "description": service.description,
        "channels": sorted(c.code for c in service.channels),
        "journey_stages": sorted(s.code for s in service.journey_stages),
        "version": service.version,
    }


def set_links(
    service: Service, channels: list[Channel] | None, stages: list[JourneyStage] | None
) -> None:
    """Set a service's channels and journey stages (None leaves them). A change of links
    alone writes no column of the service's row, so its version would stay and a concurrent
    edit of the links would pass the version check: the row is marked changed instead.
    A retired channel or stage the service already has stays; a new link to one is refused
    (RetiredTermError), on every path that links (the forms and the services import)."""
    _refuse_retired("channels", "channel", service.channels, channels)
    _refuse_retired("journey_stages", "journey stage", service.journey_stages, stages)
    before = (set(service.channels), set(service.journey_stages))
    if channels is not None:
        service.channels = channels
    if stages is not None:
        service.journey_stages = stages
    if (set(service.channels), set(service.journey_stages)) != before:
        flag_modified(service, "description")


def _refuse_retired(
    field: str, what: str, had: Sequence[Channel | JourneyStage],
    wanted: Sequence[Channel | JourneyStage] | None,
) -> None:  # fmt: skip
    if wanted is None:
        return
    retired = [term.code for term in wanted if term.is_retired]
    refused = calc.newly_linked([t.code for t in wanted], [t.code for t in had], retired)
    if refused:
        name = next(t.name for t in wanted if t.code == refused[0])
        raise RetiredTermError(field, calc.retired_reason(what, name))


def update_service(service: Service, change: ServiceChange, actor: User) -> None:
    """Apply an officer's edit; refuse it when the service changed since they opened it."""
    if change.version != service.version:
        raise EditConflict
    before = service_state(service)
    service.description = change.description.strip()
    stages = select(JourneyStage).where(JourneyStage.id.in_(change.stage_ids))
    set_links(
        service,
        list(db.session.scalars(select(Channel).where(Channel.id.in_(change.channel_ids)))),
        list(db.session.scalars(stages)),
    )
    db.session.flush()
    audit.record(
        "update", "service", service.id, actor=actor, before=before,
        after=service_state(service), department_id=service.department_id,
    )  # fmt: skip
