"""Reads of the organization's structure shared by every feature's pages."""

from __future__ import annotations

from sqlalchemy import Select, select

from cxprogram.extensions import db
from cxprogram.org.models import Department


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


def department_codes(ids: set[int]) -> set[str]:
    """The codes of these departments."""
    return set(db.session.scalars(select(Department.code).where(Department.id.in_(sorted(ids)))))
