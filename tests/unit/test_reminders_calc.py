"""Which reminders go out at a given moment: pure decisions, by table."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from cxprogram.reminders.calc import (
    Lagging,
    Person,
    ReminderRules,
    compute_reminders,
    is_due_reminder_day,
    is_late_list_day,
)

RULES = ReminderRules("FY2023-Q1", date(2023, 1, 30), days_before=7, grace_days=5)
VA = Lagging(1, "VA", "Veterans Affairs", reported=7, expected=11)
DMV = Lagging(2, "DMV", "Motor Vehicles", reported=0, expected=11)
ANNA = Person("anna@example.test", "Anna", frozenset({1}))
BEN = Person("ben@example.test", "Ben", frozenset({1, 2}))
CARL = Person("carl@example.test", "Carl", frozenset({3}))  # his department is up to date
CHIEF = Person("chief@example.test", "Chief")


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2023, 1, 22), []),  # before the reminder days
        (date(2023, 1, 23), [("due", ANNA, 1), ("due", BEN, 1), ("due", BEN, 2)]),
        (date(2023, 1, 30), [("due", ANNA, 1), ("due", BEN, 1), ("due", BEN, 2)]),
        (date(2023, 1, 31), []),  # past due, still within the grace days
        (date(2023, 2, 4), []),  # the last grace day
        (date(2023, 2, 5), [("late", CHIEF, None)]),
    ],
)
def test_who_is_reminded_on_which_day(
    day: date, expected: list[tuple[str, Person, int | None]]
) -> None:
    reminders = compute_reminders(_at(day), RULES, [VA, DMV], [ANNA, BEN, CARL], [CHIEF])
    assert [(r.kind, r.recipient, r.department_id) for r in reminders] == expected
    assert all(r.period_label == "FY2023-Q1" and r.due == RULES.due for r in reminders)


def test_the_chief_hears_of_every_late_department_and_of_none_when_all_reported() -> None:
    (late,) = compute_reminders(_at(date(2023, 2, 10)), RULES, [VA, DMV], [ANNA], [CHIEF])
    assert late.departments == (VA, DMV)
    assert compute_reminders(_at(date(2023, 2, 10)), RULES, [], [ANNA], [CHIEF]) == []
    assert compute_reminders(_at(date(2023, 1, 25)), RULES, [], [ANNA], [CHIEF]) == []


def test_the_day_rules_at_their_edges() -> None:
    due = date(2023, 1, 30)
    assert not is_due_reminder_day(date(2023, 1, 22), due, 7)
    assert is_due_reminder_day(date(2023, 1, 23), due, 7) and is_due_reminder_day(due, due, 7)
    assert not is_due_reminder_day(date(2023, 1, 31), due, 7)
    assert not is_late_list_day(date(2023, 2, 4), due, 5)
    assert is_late_list_day(date(2023, 2, 5), due, 5)
