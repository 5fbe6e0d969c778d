"""Which reminders are due: pure decisions, tested with any `today`."""

from __future__ import annotations

from datetime import date, timedelta


def is_due_reminder_day(today: date, due: date, days_before: int) -> bool:
    """Officers are reminded from `days_before` days ahead of the due date until it."""
    return due - timedelta(days=days_before) <= today <= due


def is_late_list_day(today: date, due: date, grace_days: int) -> bool:
    """The chief gets the list of late departments once the grace days have passed."""
    return today > due + timedelta(days=grace_days)
