"""Send e-mail through the SMTP server named in the configuration."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr
from typing import Any, Literal, cast
from urllib.parse import urlsplit

from flask import current_app

Security = Literal["none", "starttls", "ssl"]

# The server refused this one message (its recipient, sender or content); others may pass.
MESSAGE_REFUSED = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


@dataclass(frozen=True)
class MailSettings:
    """Where, how and as whom to send."""

    host: str
    port: int
    sender: str
    security: Security = "none"
    username: str = ""
    password: str = ""
    sender_name: str = ""

    @classmethod
    def from_config(cls, config: Mapping[str, Any], sender_name: str = "") -> MailSettings:
        """The settings in an application's configuration (config.py's CX_SMTP_* keys), sent
        under sender_name (the organization's setting) as the From header's display name."""
        return cls(
            config["CX_SMTP_HOST"],
            config["CX_SMTP_PORT"],
            config["CX_SMTP_SENDER"],
            cast(Security, config.get("CX_SMTP_SECURITY", "none")),
            config.get("CX_SMTP_USERNAME", ""),
            config.get("CX_SMTP_PASSWORD", ""),
            sender_name,
        )

    @property
    def is_configured(self) -> bool:
        """Mail goes out only when an SMTP host is set."""
        return bool(self.host)


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link for an e-mail, on the configured BASE_URL (never a request's Host)."""
    base = urlsplit(current_app.config["CX_BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme
    )
    return adapter.build(endpoint, values, force_external=True)


def send_mail(settings: MailSettings, to: str, subject: str, body: str) -> None:
    """Send one plain-text message; the server's certificate is verified for TLS.

    Raises one of MESSAGE_REFUSED when the server refuses this message, and OSError or
    another smtplib.SMTPException when the server cannot be used at all.
    """
    message = EmailMessage()
    message["From"] = formataddr((settings.sender_name, settings.sender))
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    context = ssl.create_default_context()
    smtp = (
        smtplib.SMTP_SSL(settings.host, settings.port, timeout=30, context=context)
        if settings.security == "ssl"
        else smtplib.SMTP(settings.host, settings.port, timeout=30)
    )
    with smtp:
        if settings.security == "starttls":
            smtp.starttls(context=context)
        if settings.username:
            smtp.login(settings.username, settings.password)
        smtp.send_message(message)
