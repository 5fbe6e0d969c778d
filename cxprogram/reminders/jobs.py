"""The reminder job body, thin: read, decide (calc), send once (services)."""

from __future__ import annotations

import smtplib
from datetime import datetime

from flask import current_app

from cxprogram.auth.models import Role
from cxprogram.metrics.periods import reporting_window
from cxprogram.org.queries import mail_settings, organization_settings
from cxprogram.reminders.calc import Reminder, ReminderRules, compute_reminders
from cxprogram.reminders.queries import active_people, lagging_departments
from cxprogram.reminders.services import Outbox


def run_reminders(now: datetime) -> int:
    """E-mail officers before the due date and the chief after it; each reminder once.

    A message the server refuses is skipped and tried again on the next run; when the server
    cannot be reached the job stops there, keeping the log of what went out before.
    """
    outbox = Outbox(mail_settings())
    if not outbox.mail.is_configured:
        return 0
    try:
        for reminder in reminders_due(now):
            outbox.send_once(reminder)
    except (OSError, smtplib.SMTPException) as error:
        current_app.logger.error(
            "reminders stopped after %d sent, the mail server failed (%r); the rest go out on "
            "the next run",
            outbox.sent, error,
        )  # fmt: skip
    return outbox.sent


def reminders_due(now: datetime) -> list[Reminder]:
    """Every reminder the reporting window calls for at `now` (sent or not yet)."""
    today = now.date()
    window = reporting_window(today)
    org = organization_settings()
    rules = ReminderRules(window.label, window.due, org.reminder_days_before, org.grace_days)
    lagging = lagging_departments(window, today)
    return compute_reminders(
        now, rules, lagging, active_people(Role.OFFICER), active_people(Role.CHIEF)
    )
