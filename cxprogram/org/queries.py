"""Reads of the organization's settings and structure shared by every feature's pages."""

from __future__ import annotations

from dataclasses import fields

from sqlalchemy import Select, select

from cxprogram.extensions import db
from cxprogram.org.models import Department, OrgSettings
from cxprogram.org.settings import DEFAULTS, OrganizationSettings

_SETTING_NAMES = tuple(f.name for f in fields(OrganizationSettings))


def organization_settings() -> OrganizationSettings:
    """The organization's settings: the stored row's values, the defaults before one exists."""
    columns = [getattr(OrgSettings, name) for name in _SETTING_NAMES]
    row = db.session.execute(select(*columns).order_by(OrgSettings.id).limit(1)).first()
    if row is None:
        return DEFAULTS
    return OrganizationSettings(**dict(zip(_SETTING_NAMES, row, strict=True)))


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
