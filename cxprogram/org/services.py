"""Writes on departments and services. Flushes, never commits."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified

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
    edit of the links would pass the version check: the row is marked changed instead."""
    before = (set(service.channels), set(service.journey_stages))
    if channels is not None:
        service.channels = channels
    if stages is not None:
        service.journey_stages = stages
    if (set(service.channels), set(service.journey_stages)) != before:
        flag_modified(service, "description")


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
