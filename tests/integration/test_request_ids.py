"""X-Request-Id on every response, and the id, method, path and user in every log record."""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from cxprogram import create_app
from cxprogram.core.permissions import signed_in
from cxprogram.core.requestlog import formatter
from tests.conftest import PASSWORD, csrf_token, make_config

GENERATED = re.compile(r"[0-9a-f]{32}")


def test_a_sane_incoming_id_is_echoed(client: FlaskClient) -> None:
    for sane in ("abc", "A1.b_2-c", "x" * 128, "0af7651916cd43dd8448eb211c80319c"):
        response = client.get("/healthz", headers={"X-Request-Id": sane})
        assert response.headers["X-Request-Id"] == sane


def test_an_id_is_generated_for_each_request_without_one(client: FlaskClient) -> None:
    ids = {client.get(path).headers["X-Request-Id"] for path in ("/healthz", "/sign-in", "/nope")}
    assert len(ids) == 3
    assert all(GENERATED.fullmatch(one) for one in ids)


@pytest.mark.parametrize(
    "insane",
    ["x" * 129, "", "two words", "a\r\nSet-Cookie: x=1", "line\nbreak", "tab\there", "é", "a/b"],
)
def test_an_insane_id_is_replaced(client: FlaskClient, insane: str) -> None:
    # the environ, not a header: the test client itself refuses CR/LF in header values
    response = client.get("/healthz", environ_overrides={"HTTP_X_REQUEST_ID": insane})
    assert GENERATED.fullmatch(response.headers["X-Request-Id"])
    assert "Set-Cookie" not in response.headers


def test_error_pages_and_the_api_carry_the_id(client: FlaskClient) -> None:
    for path in ("/no-such-page", "/api/v1/departments"):
        response = client.get(path, headers={"X-Request-Id": "req-42"})
        assert response.status_code in (401, 404)
        assert response.headers["X-Request-Id"] == "req-42"


def test_a_traceback_names_the_request_id_method_path_and_user(
    database_url: str,
    db_session: Any,
    make_user: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Outside TESTING, an unexpected exception is logged with its traceback, by the app's
    own error handler, and the record names the request."""
    config = dataclasses.replace(make_config(database_url), testing=False)
    app = create_app(config)

    @signed_in  # as views are: the permission check loads the user
    def explode() -> str:
        raise RuntimeError("forced for the test")

    app.view_functions["auth.change_password"] = explode  # a real route, now failing
    user = make_user("chief")
    client = app.test_client()
    client.post("/sign-in", data={"email": user.email, "password": PASSWORD,
                                  "csrf_token": csrf_token(client)})  # fmt: skip
    with caplog.at_level(logging.ERROR, logger="cxprogram"):
        response = client.get("/account/password", headers={"X-Request-Id": "trace-me-1"})
    assert response.status_code == 500
    assert response.headers["X-Request-Id"] == "trace-me-1"
    (record,) = [r for r in caplog.records if r.exc_info]
    text = formatter().format(record)
    assert "[trace-me-1] GET /account/password" in text
    assert f"user={user.id}" in text
    assert "Traceback (most recent call last)" in text
    assert "RuntimeError: forced for the test" in text


def test_records_outside_a_request_get_dashes() -> None:
    record = logging.getLogger("cxprogram.test").makeRecord(
        "cxprogram.test", logging.WARNING, __file__, 1, "no request here", (), None
    )
    assert "[-] - - user=-" in formatter().format(record)
