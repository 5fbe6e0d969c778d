"""Sending reminders: the log row and the message stand or fall together. Flushes, never commits."""

from __future__ import annotations

from flask import current_app
from sqlalchemy.exc import IntegrityError

from cxprogram.core.mail import MESSAGE_REFUSED, MailSettings, send_mail
from cxprogram.extensions import db
from cxprogram.reminders.calc import Reminder
from cxprogram.reminders.mail import render_reminder
from cxprogram.reminders.models import ReminderLog
from cxprogram.reminders.queries import is_logged


class Outbox:
    """Sends each reminder once and counts what went out."""

    def __init__(self, mail: MailSettings) -> None:
        self.mail = mail
        self.sent = 0

    def send_once(self, reminder: Reminder) -> None:
        """Log (the unique key refuses a repeat), then send; a refused message leaves no log
        row, so the next run tries it again."""
        label, department_id = reminder.period_label, reminder.department_id
        to = reminder.recipient.email
        if is_logged(reminder.kind, label, department_id, to):
            return
        message = render_reminder(reminder)
        try:
            with db.session.begin_nested():
                db.session.add(
                    ReminderLog(
                        kind=reminder.kind, period_label=label, department_id=department_id,
                        recipient=to,
                    )
                )  # fmt: skip
                db.session.flush()
                send_mail(self.mail, to, message.subject, message.body)
        except IntegrityError:
            return
        except MESSAGE_REFUSED as error:
            current_app.logger.warning("reminder to %s refused: %s", to, error)
            return
        self.sent += 1
