"""Scheduled job bodies, thin: each runs in the app context, in one transaction, under its lock."""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from datetime import UTC, datetime

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cxprogram.auth.models import Role, User
from cxprogram.core.locks import job_lock
from cxprogram.core.mail import MESSAGE_REFUSED, MailSettings, send_mail
from cxprogram.extensions import db
from cxprogram.main.queries import (
    department_progress,
    departments_query,
    reporting_window,
    settings,
)
from cxprogram.metrics.models import PeriodState, ReportingPeriod
from cxprogram.rollup.models import ReminderLog
from cxprogram.rollup.queries import latest_snapshot
from cxprogram.rollup.reminders import is_due_reminder_day, is_late_list_day
from cxprogram.rollup.services import run_rollup

Job = Callable[[datetime], int]


def run_job(
    app: Flask, name: str, job: Job, now: datetime | None = None, lock: str | None = None
) -> int:
    """Run one job body under its lock (by default, named after the job) in one
    transaction; roll back everything on failure."""
    with app.app_context():
        try:
            with job_lock(lock or name):
                done = job(now or datetime.now(UTC))
                db.session.commit()
        except Exception:
            db.session.rollback()
            current_app.logger.exception("job %s failed; nothing of it was kept", name)
            raise
        current_app.logger.info("job %s: %d item(s)", name, done)
        return done


def run_nightly_rollup(now: datetime) -> int:
    """Roll up every open period; returns the number of new snapshots."""
    periods = db.session.scalars(
        select(ReportingPeriod).where(ReportingPeriod.state == PeriodState.OPEN)
    )
    return sum(run_rollup(p, now).is_new for p in periods)


def run_quarter_close(now: datetime) -> int:
    """Final rollup of every closed period whose latest snapshot is not final yet."""
    closed = db.session.scalars(
        select(ReportingPeriod).where(ReportingPeriod.state == PeriodState.CLOSED)
    )
    pending = [p for p in closed if not ((s := latest_snapshot(p.id)) and s.is_final)]
    return sum(run_rollup(p, now).is_new for p in pending)


def run_reminders(now: datetime) -> int:
    """E-mail officers before the due date and the chief after it; each reminder once.

    A message the server refuses is skipped and tried again on the next run; when the server
    cannot be reached the job stops there, keeping the log of what went out before.
    """
    outbox = Outbox(MailSettings.from_config(current_app.config))
    if not outbox.mail.is_configured:
        return 0
    today = now.date()
    window = reporting_window(today)
    org = settings()
    progress = department_progress(window, list(db.session.scalars(departments_query())), today)
    missing = [p for p in progress if p.completion != "reported"]
    try:
        if is_due_reminder_day(today, window.due, org.reminder_days_before):
            _remind_officers(outbox, window.label, window.due.isoformat(), missing)
        if is_late_list_day(today, window.due, org.grace_days) and missing:
            _remind_chiefs(outbox, window.label, [p.code for p in missing])
    except (OSError, smtplib.SMTPException) as error:
        current_app.logger.error(
            "reminders stopped after %d sent, the mail server failed (%r); the rest go out on "
            "the next run",
            outbox.sent, error,
        )  # fmt: skip
    return outbox.sent


def _remind_officers(outbox: Outbox, label: str, due: str, missing: list) -> None:  # type: ignore[type-arg]
    officers = list(
        db.session.scalars(
            select(User).where(User.role == Role.OFFICER, User.is_active_user.is_(True))
        )
    )
    for item in missing:
        for officer in (o for o in officers if item.department_id in o.department_ids):
            body = (
                f"Hello {officer.name},\n\n{item.name} ({item.code}) has reported "
                f"{item.metrics_reported} of {item.metrics_expected} standard metrics for "
                f"{label}. The data is due on {due}.\n"
            )
            subject = f"{label}: {item.code} data due {due}"
            outbox.send_once("due", label, item.department_id, officer.email, subject, body)


def _remind_chiefs(outbox: Outbox, label: str, late_codes: list[str]) -> None:
    chiefs = db.session.scalars(
        select(User).where(User.role == Role.CHIEF, User.is_active_user.is_(True))
    )
    body = f"Departments late for {label}: {', '.join(late_codes)}.\n"
    subject = f"{label}: {len(late_codes)} departments late"
    for chief in chiefs:
        outbox.send_once("late", label, None, chief.email, subject, body)


class Outbox:
    """Sends each reminder once: the log row and the message stand or fall together."""

    def __init__(self, mail: MailSettings) -> None:
        self.mail = mail
        self.sent = 0

    def send_once(
        self, kind: str, label: str, department_id: int | None, to: str, subject: str, body: str
    ) -> None:
        """Log (the unique key refuses a repeat), then send; a refused message leaves no log
        row, so the next run tries it again."""
        exists = db.session.scalar(
            select(ReminderLog.id).where(
                ReminderLog.kind == kind, ReminderLog.period_label == label,
                ReminderLog.department_id.is_(department_id) if department_id is None
                else ReminderLog.department_id == department_id,
                ReminderLog.recipient == to,
            )
        )  # fmt: skip
        if exists is not None:
            return
        try:
            with db.session.begin_nested():
                db.session.add(
                    ReminderLog(
                        kind=kind, period_label=label, department_id=department_id, recipient=to
                    )
                )
                db.session.flush()
                send_mail(self.mail, to, subject, body)
        except IntegrityError:
            return
        except MESSAGE_REFUSED as error:
            current_app.logger.warning("reminder to %s refused: %s", to, error)
            return
        self.sent += 1
