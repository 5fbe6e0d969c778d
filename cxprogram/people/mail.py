"""E-mail a one-time password link (reset or invitation) through the configured SMTP server."""

from __future__ import annotations

import smtplib

from flask import current_app, render_template

from cxprogram.auth.models import User
from cxprogram.core.mail import external_url, send_mail
from cxprogram.org.queries import mail_settings
from cxprogram.people.resets import IssuedLink

SUBJECTS = {
    "reset": "Set a new password for {org}",
    "invite": "You are invited to {org}",
}


def is_mail_configured() -> bool:
    """True when an SMTP host is set, so links can be e-mailed."""
    return mail_settings().is_configured


def send_link(user: User, purpose: str, link: IssuedLink, org_name: str) -> str | None:
    """Send the link; None when sent, otherwise a message saying why it was not."""
    url = external_url("people.set_password", secret=link.secret)
    body = render_template(
        f"email/{purpose}_password.txt", user=user, url=url, link=link, org_name=org_name
    )
    subject = SUBJECTS[purpose].format(org=org_name)
    try:
        send_mail(mail_settings(), user.email, subject, body)
    except (OSError, smtplib.SMTPException, ValueError) as error:  # ValueError: a bad header
        current_app.logger.warning("password mail to %s failed: %s", user.email, error)
        return f"The e-mail to {user.email} could not be sent ({error.__class__.__name__})."
    return None
