"""Reads behind the reminders: who may hear of what, and what was sent already."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from cxprogram.auth.models import Role, User
from cxprogram.extensions import db
from cxprogram.metrics.periods import ReportingWindow
from cxprogram.org.queries import active_departments
from cxprogram.reminders.calc import Kind, Lagging, Person
from cxprogram.reminders.models import ReminderLog
from cxprogram.review.progress import department_progress


def active_people(role: Role) -> list[Person]:
    """The active users of this role, with the departments they report for."""
    users = db.session.scalars(
        select(User).where(User.role == role, User.is_active_user.is_(True)).order_by(User.id)
    )
    return [Person(u.email, u.name, frozenset(u.department_ids)) for u in users]


def lagging_departments(window: ReportingWindow, today: date) -> list[Lagging]:
    """The active departments that have not reported every metric in the window, by code."""
    departments = active_departments()
    return [
        Lagging(p.department_id, p.code, p.name, p.metrics_reported, p.metrics_expected)
        for p in department_progress(window, departments, today)
        if p.completion != "reported"
    ]


def is_logged(kind: Kind, label: str, department_id: int | None, recipient: str) -> bool:
    """True when this reminder went out already."""
    same_department = (
        ReminderLog.department_id.is_(None)
        if department_id is None
        else ReminderLog.department_id == department_id
    )
    found = db.session.scalar(
        select(ReminderLog.id).where(
            ReminderLog.kind == kind,
            ReminderLog.period_label == label,
            same_department,
            ReminderLog.recipient == recipient,
        )
    )
    return found is not None
