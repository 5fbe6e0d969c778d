"""The reminder e-mails, rendered from templates/email/ with links on the configured BASE_URL."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from cxprogram.core.mail import external_url
from cxprogram.reminders.calc import Reminder

SUBJECTS = {
    "due": "{label}: {codes} data due {due}",
    "late": "{label}: {count} departments late",
}


@dataclass(frozen=True)
class Message:
    """A rendered e-mail: its subject and plain-text body."""

    subject: str
    body: str


def render_reminder(reminder: Reminder) -> Message:
    """The subject and body of one reminder (templates/email/reminder_<kind>.txt)."""
    codes = [d.code for d in reminder.departments]
    subject = SUBJECTS[reminder.kind].format(
        label=reminder.period_label, codes=", ".join(codes), due=reminder.due.isoformat(),
        count=len(codes),
    )  # fmt: skip
    # jinja_env directly: a job has no request, so the pages' context processors cannot run
    template = current_app.jinja_env.get_template(f"email/reminder_{reminder.kind}.txt")
    body = template.render(reminder=reminder, due=reminder.due.isoformat(), url=_link(reminder))
    return Message(subject, body)


def _link(reminder: Reminder) -> str:
    """The officer's data-entry grid for the period; the chief's home page (the tracker)."""
    if reminder.kind == "due":
        code = reminder.departments[0].code
        return external_url("metrics.edit_grid", code=code, label=reminder.period_label)
    return external_url("main.home")
