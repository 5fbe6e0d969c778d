"""Reads of the organization's settings and structure shared by every feature's pages."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields

from flask import current_app
from sqlalchemy import Select, or_, select

from cxprogram.auth.models import Role, User
from cxprogram.core.mail import MailSettings
from cxprogram.extensions import db
from cxprogram.org.models import Channel, Department, JourneyStage, OrgSettings
from cxprogram.org.settings import DEFAULTS, OrganizationSettings

_SETTING_NAMES = tuple(f.name for f in fields(OrganizationSettings))


def organization_settings() -> OrganizationSettings:
    """The organization's settings: the stored row's values, the defaults before one exists."""
    columns = [getattr(OrgSettings, name) for name in _SETTING_NAMES]
    row = db.session.execute(select(*columns).order_by(OrgSettings.id).limit(1)).first()
    if row is None:
        return DEFAULTS
    return OrganizationSettings(**dict(zip(_SETTING_NAMES, row, strict=True)))


def mail_settings() -> MailSettings:
    """The SMTP settings of the running application, as the organization's sender name."""
    return MailSettings.from_config(current_app.config, organization_settings().smtp_sender_name)


def department_by_code_query(code: str) -> Select[tuple[Department]]:
    """The department with this code; codes are stored upper case, so any case matches."""
    return select(Department).where(Department.code == code.upper())


def department_by_code(code: str) -> Department | None:
    """The department with this code, or None."""
    return db.session.scalar(department_by_code_query(code))


def department_or_404(code: str) -> Department:
    """The department with this code; a 404 answer when there is none."""
    department: Department = db.first_or_404(department_by_code_query(code))
    return department


def channels(keep: Iterable[int] = (), *, every: bool = False) -> list[Channel]:
    """The channels a form offers, by name: the current ones, and the retired ones among
    `keep` (those the record being edited already has, so saving it keeps them); `every`
    for filters of what was recorded, retired ones included."""
    query = select(Channel).order_by(Channel.name)
    if not every:
        query = query.where(or_(Channel.is_retired.is_(False), Channel.id.in_(list(keep))))
    return list(db.session.scalars(query))


def journey_stages(keep: Iterable[int] = (), *, every: bool = False) -> list[JourneyStage]:
    """The journey stages a form offers, in journey order (retired ones as `channels`)."""
    query = select(JourneyStage).order_by(JourneyStage.position, JourneyStage.id)
    if not every:
        query = query.where(
            or_(JourneyStage.is_retired.is_(False), JourneyStage.id.in_(list(keep)))
        )
    return list(db.session.scalars(query))


def officers_of(department: Department) -> list[User]:
    """The officers assigned to a department."""
    query = select(User).where(User.role == Role.OFFICER, User.departments.contains(department))
    return list(db.session.scalars(query))


def departments_query() -> Select[tuple[Department]]:
    """Every department, active or not, by code (choices and filters)."""
    return select(Department).order_by(Department.code)


def active_departments_query() -> Select[tuple[Department]]:
    """Active departments, by code."""
    return select(Department).where(Department.is_active.is_(True)).order_by(Department.code)


def active_departments() -> list[Department]:
    """Active departments, by code."""
    return list(db.session.scalars(active_departments_query()))


def department_codes() -> dict[int, str]:
    """Every department's code by id (the audit export names departments by code)."""
    return dict(db.session.execute(select(Department.id, Department.code)).tuples().all())


def codes_by_id(ids: set[int]) -> dict[int, str]:
    """The codes of these departments, by id."""
    query = select(Department.id, Department.code).where(Department.id.in_(sorted(ids)))
    return dict(db.session.execute(query).tuples().all())


def codes_of(ids: set[int]) -> set[str]:
    """The codes of these departments."""
    return set(codes_by_id(ids).values())
