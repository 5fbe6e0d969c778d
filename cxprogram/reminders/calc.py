"""Which reminders go out and to whom: pure decisions that take `now`, tested with any day."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

Kind = Literal["due", "late"]


@dataclass(frozen=True)
class Lagging:
    """A department that has not yet reported every metric it should in the window."""

    department_id: int
    code: str
    name: str
    reported: int
    expected: int


@dataclass(frozen=True)
class Person:
    """Someone a reminder can go to, with the departments they report for."""

    email: str
    name: str
    department_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class ReminderRules:
    """The period being reported, its due date and the organization's reminder days."""

    period_label: str
    due: date
    days_before: int
    grace_days: int


@dataclass(frozen=True)
class Reminder:
    """One message: an officer hears of one department, a chief of every late one."""

    kind: Kind
    period_label: str
    due: date
    recipient: Person
    departments: tuple[Lagging, ...]

    @property
    def department_id(self) -> int | None:
        """The department an officer's reminder is about; None for a chief's list."""
        return self.departments[0].department_id if self.kind == "due" else None


def is_due_reminder_day(today: date, due: date, days_before: int) -> bool:
    """Officers are reminded from `days_before` days ahead of the due date until it."""
    return due - timedelta(days=days_before) <= today <= due


def is_late_list_day(today: date, due: date, grace_days: int) -> bool:
    """The chief gets the list of late departments once the grace days have passed."""
    return today > due + timedelta(days=grace_days)


def compute_reminders(
    now: datetime,
    rules: ReminderRules,
    lagging: Sequence[Lagging],
    officers: Sequence[Person],
    chiefs: Sequence[Person],
) -> list[Reminder]:
    """The reminders due at `now`: each lagging department's officers, then the chiefs."""
    today, label, due = now.date(), rules.period_label, rules.due
    reminders: list[Reminder] = []
    if is_due_reminder_day(today, due, rules.days_before):
        reminders += [
            Reminder("due", label, due, officer, (item,))
            for item in lagging
            for officer in officers
            if item.department_id in officer.department_ids
        ]
    if lagging and is_late_list_day(today, due, rules.grace_days):
        reminders += [Reminder("late", label, due, chief, tuple(lagging)) for chief in chiefs]
    return reminders
