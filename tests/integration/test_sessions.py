"""Sessions end on the server: a cookie saved before sign-out is refused after it, a password
change ends the other sessions, and deactivation revokes API tokens for good (issue 16)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from cxprogram.auth.models import ApiToken
from cxprogram.auth.tokens import create_token
from tests.conftest import PASSWORD, csrf_token

NEW_PASSWORD = "a much better passphrase 42"


def _sign_in(client: Any, email: str, password: str = PASSWORD) -> Any:
    data = {"email": email, "password": password, "csrf_token": csrf_token(client)}
    return client.post("/sign-in", data=data)


def _session_cookie(client: Any) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return str(cookie.value)


def _sign_out(client: Any) -> None:
    token = csrf_token(client, "/account/password")
    assert client.post("/sign-out", data={"csrf_token": token}).status_code == 302


def test_a_cookie_saved_before_sign_out_is_refused_after_it(
    app: Flask, client: Any, make_user: Any
) -> None:
    user = make_user("chief")
    assert _sign_in(client, user.email).status_code == 302
    saved = _session_cookie(client)
    assert client.get("/").status_code == 200
    _sign_out(client)
    replay = app.test_client()
    replay.set_cookie("session", saved)
    response = replay.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


def test_sign_out_ends_only_that_session(app: Flask, client: Any, make_user: Any) -> None:
    user = make_user("viewer")
    other = app.test_client()
    assert _sign_in(other, user.email).status_code == 302
    assert _sign_in(client, user.email).status_code == 302
    _sign_out(client)
    assert other.get("/").status_code == 200


def test_a_password_change_ends_the_other_sessions_even_replayed(
    app: Flask, client: Any, make_user: Any
) -> None:
    user = make_user("viewer")
    other = app.test_client()
    assert _sign_in(other, user.email).status_code == 302
    saved = _session_cookie(other)
    assert _sign_in(client, user.email).status_code == 302
    change = {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
              "csrf_token": csrf_token(client, "/account/password")}  # fmt: skip
    assert client.post("/account/password", data=change).status_code == 302
    assert client.get("/").status_code == 200
    replay = app.test_client()
    replay.set_cookie("session", saved)
    assert replay.get("/").status_code == 302
    assert other.get("/").status_code == 302


def test_reactivation_does_not_bring_back_api_tokens(
    app: Flask, client: Any, make_user: Any, db_session: Any
) -> None:
    officer = make_user("chief")
    secret = create_token(officer)
    api = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    assert api.get("/api/v1/departments", headers=headers).status_code == 200
    assert _sign_in(client, make_user("admin").email).status_code == 302
    for action in ("deactivate", "reactivate"):
        data = {"csrf_token": csrf_token(client, "/account/password")}
        assert client.post(f"/users/{officer.id}/{action}", data=data).status_code == 302
    assert api.get("/api/v1/departments", headers=headers).status_code == 401
    token = db_session.scalar(select(ApiToken).where(ApiToken.user_id == officer.id))
    assert token.revoked_at is not None
    fresh = create_token(officer)
    assert (
        api.get("/api/v1/departments", headers={"Authorization": f"Bearer {fresh}"}).status_code
        == 200
    )
