"""Reminders by e-mail, to a real SMTP server (aiosmtpd) on loopback: each goes out once,
over STARTTLS with a login where configured; a refused message or an unreachable server
loses nothing and repeats nothing."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.smtp import AuthResult, LoginPassword
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import func, select

from config import ConfigError, from_env
from cxprogram.org.queries import department_by_code
from cxprogram.reminders.jobs import run_reminders
from cxprogram.reminders.models import ReminderLog
from cxprogram.rollup.jobs import run_job
from tests.integration.mailserver import Inbox, free_port

BEFORE_DUE = datetime(2023, 1, 25, 8, tzinfo=UTC)  # FY2023-Q1 data is due 2023-01-30
AFTER_GRACE = datetime(2023, 2, 10, 8, tzinfo=UTC)
OFFICER = "officer@demo.cxprogram.test"
CHIEF = "chief@demo.cxprogram.test"


class Logins:
    """An aiosmtpd authenticator that accepts one user and records every attempt."""

    def __init__(self, user: str, password: str) -> None:
        self.expected = (user.encode(), password.encode())
        self.attempts: list[tuple[bytes, bytes]] = []

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        self.attempts.append((auth_data.login, auth_data.password))
        if (auth_data.login, auth_data.password) == self.expected:
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)  # unhandled: aiosmtpd answers 535


@pytest.fixture
def demo(runner: Any) -> None:
    assert runner.invoke(args=["demo"]).exit_code == 0


def _text(message: Any) -> str:
    """The decoded plain-text body of a received message."""
    return str(message.get_payload(decode=True).decode()).replace("\r\n", "\n")


def _logged(db_session: Any) -> int:
    return int(db_session.scalar(select(func.count()).select_from(ReminderLog)))


def test_reminders_reach_a_real_smtp_server_once(
    app: Any, demo: None, smtp_server: Callable[..., Inbox]
) -> None:
    smtp = smtp_server()
    sent = run_job(app, "reminders", run_reminders, BEFORE_DUE)
    assert sent >= 1 and len(smtp.to(OFFICER)) == 1
    assert smtp.to(OFFICER)[0]["Subject"] == "FY2023-Q1: VA data due 2023-01-30"
    assert run_job(app, "reminders", run_reminders, BEFORE_DUE) == 0  # the log prevents repeats
    assert len(smtp.messages) == sent
    late = run_job(app, "reminders", run_reminders, AFTER_GRACE)
    assert late == 1 and len(smtp.to(CHIEF)) == 1
    assert "VA" in smtp.to(CHIEF)[0].get_payload()
    assert run_job(app, "reminders", run_reminders, AFTER_GRACE) == 0


def test_starttls_and_login_with_a_verified_certificate(
    app: Any,
    demo: None,
    smtp_server: Callable[..., Inbox],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    db_session: Any,
) -> None:
    ca = trustme.CA()
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(tls)
    logins = Logins("cx-mailer", "s3cret-pass")
    smtp = smtp_server(
        tls_context=tls,
        require_starttls=True,
        authenticator=logins,
        auth_require_tls=True,
    )
    monkeypatch.setitem(app.config, "CX_SMTP_SECURITY", "starttls")
    monkeypatch.setitem(app.config, "CX_SMTP_USERNAME", "cx-mailer")
    monkeypatch.setitem(app.config, "CX_SMTP_PASSWORD", "wrong")
    # the application trusts its CA only through the system's ordinary verify paths
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))

    assert run_job(app, "reminders", run_reminders, BEFORE_DUE) == 0  # login refused
    assert logins.attempts and set(logins.attempts) == {(b"cx-mailer", b"wrong")}
    assert smtp.messages == []
    assert _logged(db_session) == 0  # nothing counts as sent

    monkeypatch.setitem(app.config, "CX_SMTP_PASSWORD", "s3cret-pass")
    sent = run_job(app, "reminders", run_reminders, BEFORE_DUE)
    assert sent >= 1 and len(smtp.to(OFFICER)) == 1
    assert logins.attempts[-1] == (b"cx-mailer", b"s3cret-pass")
    assert _logged(db_session) == sent


def test_an_untrusted_certificate_sends_nothing(
    app: Any,
    demo: None,
    smtp_server: Callable[..., Inbox],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    trustme.CA().issue_cert("127.0.0.1").configure_cert(tls)  # a CA nobody trusts
    smtp = smtp_server(tls_context=tls, require_starttls=True)
    monkeypatch.setitem(app.config, "CX_SMTP_SECURITY", "starttls")
    assert run_job(app, "reminders", run_reminders, BEFORE_DUE) == 0
    assert smtp.messages == []
    assert "CERTIFICATE_VERIFY_FAILED" in caplog.text


def test_a_refused_recipient_is_tried_again_and_the_others_go_out_once(
    app: Any, demo: None, smtp_server: Callable[..., Inbox], make_user: Any, db_session: Any
) -> None:
    second = make_user("officer", email="second-officer@example.test", departments=("VA",))
    smtp = smtp_server()
    smtp.refused.add(second.email)
    first_run = run_job(app, "reminders", run_reminders, BEFORE_DUE)
    assert len(smtp.to(OFFICER)) == 1 and smtp.to(second.email) == []
    assert _logged(db_session) == first_run  # the refused one is not logged as sent

    smtp.refused.clear()
    assert run_job(app, "reminders", run_reminders, BEFORE_DUE) == 1  # only the refused one
    assert len(smtp.to(second.email)) == 1 and len(smtp.to(OFFICER)) == 1
    assert run_job(app, "reminders", run_reminders, BEFORE_DUE) == 0


def test_an_unreachable_server_sends_nothing_and_loses_nothing(
    app: Any, demo: None, smtp_server: Callable[..., Inbox], monkeypatch: pytest.MonkeyPatch,
    db_session: Any,
) -> None:  # fmt: skip
    monkeypatch.setitem(app.config, "CX_SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "CX_SMTP_PORT", free_port())  # nothing listens there
    assert run_job(app, "reminders", run_reminders, BEFORE_DUE) == 0
    assert _logged(db_session) == 0
    smtp = smtp_server()  # the server is back: every reminder goes out, once
    sent = run_job(app, "reminders", run_reminders, BEFORE_DUE)
    assert sent >= 1 and len(smtp.messages) == sent == _logged(db_session)


def test_the_mails_are_rendered_from_the_templates_with_links_on_base_url(
    app: Any, demo: None, smtp_server: Callable[..., Inbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "CX_BASE_URL", "https://cx.example.gov/cx")
    smtp = smtp_server()
    run_job(app, "reminders", run_reminders, BEFORE_DUE)
    with app.app_context():
        va = department_by_code("VA")
        assert va is not None
        name = va.name
    body = _text(smtp.to(OFFICER)[0])
    assert f"{name} (VA) has reported" in body and "metrics for FY2023-Q1." in body
    assert "The data is due on 2023-01-30." in body
    assert "https://cx.example.gov/cx/departments/VA/periods/FY2023-Q1/entry\n" in body
    assert "localhost" not in body  # never the Host of a request, nor the default
    run_job(app, "reminders", run_reminders, AFTER_GRACE)
    late = _text(smtp.to(CHIEF)[0])
    assert "Departments late for FY2023-Q1: " in late and "VA" in late
    assert "The data was due on 2023-01-30." in late and "https://cx.example.gov/cx/\n" in late


def test_the_mail_body_is_whatever_the_template_says(
    app: Any, demo: None, smtp_server: Callable[..., Inbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    override = DictLoader(
        {"email/reminder_due.txt": "DUE {{ reminder.departments[0].code }} {{ due }} {{ url }}"}
    )
    monkeypatch.setattr(app.jinja_env, "loader", ChoiceLoader([override, app.jinja_env.loader]))
    smtp = smtp_server()
    run_job(app, "reminders", run_reminders, BEFORE_DUE)
    assert _text(smtp.to(OFFICER)[0]).strip() == (
        "DUE VA 2023-01-30 http://127.0.0.1:5000/departments/VA/periods/FY2023-Q1/entry"
    )


def test_smtp_settings_come_from_the_environment() -> None:
    base = {"CX_ENV": "test", "SMTP_HOST": "mail.example.test", "SMTP_PORT": "587"}
    config = from_env({**base, "SMTP_SECURITY": "starttls", "SMTP_USERNAME": "u",
                       "SMTP_PASSWORD": "p"}).flask_settings()  # fmt: skip
    assert (config["CX_SMTP_HOST"], config["CX_SMTP_PORT"]) == ("mail.example.test", 587)
    assert (config["CX_SMTP_SECURITY"], config["CX_SMTP_USERNAME"]) == ("starttls", "u")
    assert config["CX_SMTP_PASSWORD"] == "p"
    with pytest.raises(ConfigError, match="SMTP_SECURITY"):
        from_env({**base, "SMTP_SECURITY": "tls1"})
    with pytest.raises(ConfigError, match="no password in clear"):
        from_env({**base, "SMTP_USERNAME": "u", "SMTP_PASSWORD": "p"})


def test_base_url_comes_from_the_environment() -> None:
    base = {"CX_ENV": "test"}
    assert from_env(base).flask_settings()["CX_BASE_URL"] == "http://127.0.0.1:5000"
    config = from_env({**base, "BASE_URL": "https://cx.example.gov/"}).flask_settings()
    assert config["CX_BASE_URL"] == "https://cx.example.gov"
    with pytest.raises(ConfigError, match="BASE_URL"):
        from_env({**base, "BASE_URL": "cx.example.gov"})
