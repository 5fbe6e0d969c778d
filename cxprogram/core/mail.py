"""Send e-mail through the SMTP server named in the configuration."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage


@dataclass(frozen=True)
class MailSettings:
    """Where and as whom to send."""

    host: str
    port: int
    sender: str

    @property
    def is_configured(self) -> bool:
        """Mail goes out only when an SMTP host is set."""
        return bool(self.host)


def send_mail(settings: MailSettings, to: str, subject: str, body: str) -> None:
    """Send one plain-text message."""
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(settings.host, settings.port, timeout=30) as smtp:
        smtp.send_message(message)
