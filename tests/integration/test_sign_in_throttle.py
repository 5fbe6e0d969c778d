"""Failed sign-ins are throttled by client address (issue 16): per address and account, and
per address across accounts, answering 429 with Retry-After; the owner signing in from
another address is never locked out; X-Forwarded-For counts only behind trusted proxies."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from cxprogram.auth import services
from cxprogram.auth.models import LoginAttempt
from tests.conftest import PASSWORD, csrf_token, make_config

ATTACKER, OWNER = "203.0.113.9", "198.51.100.7"
WRONG = "not the password at all"


def _sign_in(client: Any, email: str, password: str, address: str, **kw: Any) -> Any:
    data = {"email": email, "password": password, "csrf_token": csrf_token(client)}
    return client.post("/sign-in", data=data, environ_base={"REMOTE_ADDR": address}, **kw)


def test_failures_from_one_address_never_lock_the_owner_out_elsewhere(
    app: Flask, client: Any, make_user: Any
) -> None:
    chief = make_user("chief")
    for _ in range(8):
        _sign_in(client, chief.email, WRONG, ATTACKER)
    blocked = _sign_in(client, chief.email, PASSWORD, ATTACKER)  # even the right password
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["Retry-After"]) <= 900
    assert services.THROTTLED in blocked.get_data(as_text=True)
    owner = app.test_client()
    assert _sign_in(owner, chief.email, PASSWORD, OWNER).status_code == 302
    assert owner.get("/", environ_base={"REMOTE_ADDR": OWNER}).status_code == 200


def test_one_address_may_not_try_account_after_account(
    app: Flask, client: Any, make_user: Any
) -> None:
    limit = app.config["CX_LOGIN_MAX_FAILURES_PER_ADDRESS"]
    answers = [
        _sign_in(client, f"guess{n}@example.test", WRONG, ATTACKER).status_code for n in range(40)
    ]
    assert answers[:limit] == [200] * limit
    assert set(answers[limit:]) == {429}
    viewer = make_user("viewer")
    refused = _sign_in(client, viewer.email, PASSWORD, ATTACKER)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert _sign_in(app.test_client(), viewer.email, PASSWORD, OWNER).status_code == 302


def test_retry_after_is_when_the_oldest_counted_failure_leaves_the_window(
    db_session: Any,
) -> None:
    now = datetime.now(UTC)
    throttle = services.Throttle(per_account=5, per_address=20, window=timedelta(minutes=15))
    for minutes in (14, 10, 9, 8, 7, 1):  # the 14-minute one is the sixth newest: not counted
        db_session.add(LoginAttempt(email="a@example.test", remote_addr=ATTACKER,
                                    attempted_at=now - timedelta(minutes=minutes)))  # fmt: skip
    db_session.flush()
    wait = services.seconds_until_allowed("a@example.test", ATTACKER, now, throttle)
    assert wait == 5 * 60  # the 10-minute-old failure leaves the window in 5 minutes
    assert services.seconds_until_allowed("a@example.test", OWNER, now, throttle) is None
    assert services.seconds_until_allowed("b@example.test", ATTACKER, now, throttle) is None
    later = now + timedelta(minutes=5, seconds=1)
    assert services.seconds_until_allowed("a@example.test", ATTACKER, later, throttle) is None


def test_x_forwarded_for_is_ignored_without_a_trusted_proxy(
    client: Any, make_user: Any, db_session: Any
) -> None:
    chief = make_user("chief")
    for n in range(5):
        headers = {"X-Forwarded-For": f"192.0.2.{n}"}
        _sign_in(client, chief.email, WRONG, ATTACKER, headers=headers)
    spoofed = _sign_in(client, chief.email, PASSWORD, ATTACKER,
                       headers={"X-Forwarded-For": "192.0.2.200"})  # fmt: skip
    assert spoofed.status_code == 429
    stored = set(db_session.scalars(select(LoginAttempt.remote_addr)))
    assert stored == {ATTACKER}


@pytest.fixture
def proxied_app(database_url: str) -> Iterator[Flask]:
    """The application behind one trusted proxy (TRUSTED_PROXY_COUNT=1)."""
    from dataclasses import replace

    from cxprogram import create_app
    from cxprogram.extensions import db

    application = create_app(replace(make_config(database_url), trusted_proxy_count=1))
    yield application
    with application.app_context():
        db.engine.dispose()


def test_behind_a_trusted_proxy_the_forwarded_address_is_counted(
    proxied_app: Flask, db_session: Any, make_user: Any
) -> None:
    chief = make_user("chief")
    client = proxied_app.test_client()
    attacker = {"X-Forwarded-For": "192.0.2.66"}
    for _ in range(5):
        _sign_in(client, chief.email, WRONG, "10.0.0.2", headers=attacker)
    assert _sign_in(client, chief.email, PASSWORD, "10.0.0.2", headers=attacker).status_code == 429
    owner = proxied_app.test_client()
    answer = _sign_in(owner, chief.email, PASSWORD, "10.0.0.2",
                      headers={"X-Forwarded-For": "192.0.2.77"})  # fmt: skip
    assert answer.status_code == 302
    stored = set(db_session.scalars(select(LoginAttempt.remote_addr)))
    assert stored == {"192.0.2.66"}
