"""Mail that can't be forged (issue 16): links are built on BASE_URL only, never on the
request's Host; values for mail headers are refused with CR/LF; a link whose e-mail could
not be sent is revoked. Real SMTP server on 127.0.0.1."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from cxprogram.auth.models import PasswordReset, User
from cxprogram.models import AuditEvent, OrgSettings
from tests.conftest import csrf_token
from tests.integration.mailserver import Inbox

SETTINGS = {"name": "City of Example", "fiscal_year_start_month": "10", "due_days": "30",
            "grace_days": "5", "reminder_days_before": "7", "time_zone": "America/Chicago",
            "smtp_sender_name": "CX program"}  # fmt: skip


def _post(client: Any, url: str, data: dict[str, str] | None = None, **kw: Any) -> Any:
    payload = {"csrf_token": csrf_token(client, "/account/password"), **(data or {})}
    return client.post(url, data=payload, **kw)


def _text(message: Any) -> str:
    return str(message.get_payload(decode=True).decode())


def _live_links(db_session: Any, user: User) -> list[PasswordReset]:
    query = select(PasswordReset).where(
        PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None)
    )
    return list(db_session.scalars(query))


def test_a_reset_asked_with_a_forged_host_mails_a_link_on_base_url(
    app: Flask, client: Any, login: Any, make_user: Any, smtp: Inbox
) -> None:
    user = make_user("chief")
    login(make_user("admin").email)
    token = csrf_token(client, "/account/password")
    cookie = client.get_cookie("session")
    client.set_cookie("session", cookie.value, domain="evil.example")  # as a browser there would
    forged = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    data = {"csrf_token": token}
    response = client.post(f"/users/{user.id}/reset-password", data=data, headers=forged)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/users/{user.id}/edit"
    body = _text(smtp.to(user.email)[0])
    assert "evil.example" not in body
    link = re.search(r"(\S+)/reset-password/\S+", body)
    assert link and link.group(1) == app.config["CX_BASE_URL"] == "http://127.0.0.1:5000"


def test_a_link_whose_mail_was_refused_is_revoked_and_the_admin_told(
    client: Any, login: Any, make_user: Any, db_session: Any, smtp: Inbox
) -> None:
    user = make_user("chief")
    smtp.refused.add(user.email)
    login(make_user("admin").email)
    response = _post(client, f"/users/{user.id}/reset-password", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "could not be sent" in page and "withdrawn" in page
    assert _live_links(db_session, user) == []
    revoked = select(AuditEvent).where(
        AuditEvent.action == "revoke_reset_link", AuditEvent.entity_id == str(user.id)
    )
    assert len(db_session.scalars(revoked).all()) == 1


def test_a_stored_name_with_a_line_break_gives_no_500_and_no_live_link(
    client: Any, login: Any, make_user: Any, db_session: Any, smtp: Inbox
) -> None:
    db_session.add(OrgSettings(name="Example\r\nBcc: everyone@evil.example"))
    user = make_user("viewer")
    db_session.commit()
    login(make_user("admin").email)
    response = _post(client, f"/users/{user.id}/reset-password")
    assert response.status_code == 302
    assert smtp.messages == [] and _live_links(db_session, user) == []


@pytest.mark.parametrize("field", ["name", "smtp_sender_name"])
@pytest.mark.parametrize("value", ["Example\r\nBcc: x@evil.example", "Example\nX", "Ex\rY"])
def test_mail_header_settings_with_a_line_break_are_refused_at_save(
    client: Any, login: Any, make_user: Any, db_session: Any, field: str, value: str
) -> None:
    org = OrgSettings(name="Before", smtp_sender_name="Sender")
    db_session.add(org)
    db_session.commit()
    login(make_user("admin").email)
    data = {**SETTINGS, "version": str(org.version), field: value}
    response = _post(client, "/admin/organization", data)
    assert response.status_code == 200
    assert "must fit on one line" in response.get_data(as_text=True)
    db_session.refresh(org)
    assert (org.name, org.smtp_sender_name) == ("Before", "Sender")
    assert _post(client, "/admin/organization", {**data, field: "Fine"}).status_code == 302


def test_mail_goes_out_under_the_organizations_sender_name(
    app: Flask, client: Any, login: Any, make_user: Any, db_session: Any, smtp: Inbox
) -> None:
    db_session.add(OrgSettings(name="City of Example", smtp_sender_name="City CX team"))
    user = make_user("viewer")
    db_session.commit()
    login(make_user("admin").email)
    assert _post(client, f"/users/{user.id}/reset-password").status_code == 302
    sender = app.config["CX_SMTP_SENDER"]
    assert smtp.to(user.email)[0]["From"] == f"City CX team <{sender}>"
