"""Sign-in behaviour: same message for unknown e-mail and wrong password, throttling,
CSRF, cookie flags, security headers, password change ending sessions."""

from __future__ import annotations

from typing import Any

import pytest

from cxprogram.auth.services import SIGN_IN_FAILED, THROTTLED
from tests.conftest import PASSWORD, csrf_token


def _post_sign_in(client: Any, email: str, password: str) -> Any:
    return client.post(
        "/sign-in", data={"email": email, "password": password, "csrf_token": csrf_token(client)}
    )


def test_wrong_password_and_unknown_email_look_the_same(client: Any, make_user: Any) -> None:
    user = make_user("chief")
    wrong = _post_sign_in(client, user.email, "not the password at all")
    unknown = _post_sign_in(client, "nobody@example.test", "not the password at all")
    assert wrong.status_code == unknown.status_code == 200
    assert SIGN_IN_FAILED.encode() in wrong.data
    assert SIGN_IN_FAILED.encode() in unknown.data
    strip = [wrong.get_data(as_text=True), unknown.get_data(as_text=True)]
    strip = [s.replace(user.email, "X").replace("nobody@example.test", "X") for s in strip]
    strip = [s.split('name="csrf_token"')[0] for s in strip]
    assert strip[0] == strip[1]


def test_repeated_failures_are_throttled(client: Any, make_user: Any) -> None:
    user = make_user("chief")
    for _ in range(5):
        assert _post_sign_in(client, user.email, "wrong password!!").status_code == 200
    blocked = _post_sign_in(client, user.email, PASSWORD)  # even the right password
    assert blocked.status_code == 429
    assert THROTTLED.encode() in blocked.data
    assert client.get("/").status_code == 302  # still signed out


def test_successful_sign_in_and_sign_out(client: Any, login: Any, make_user: Any) -> None:
    user = make_user("chief")
    response = login(user.email)
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    token = csrf_token(client, "/")
    assert client.post("/sign-out", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_form_post_without_csrf_token_gets_400(client: Any, make_user: Any) -> None:
    user = make_user("chief")
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert b"security token" in response.data


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/%5Cevil.example/", "evil"]
)
def test_open_redirect_after_sign_in_is_refused(client: Any, make_user: Any, target: str) -> None:
    user = make_user("chief")
    token = csrf_token(client)
    response = client.post(
        f"/sign-in?next={target}",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_session_cookie_flags_and_security_headers(client: Any, make_user: Any) -> None:
    user = make_user("chief")
    response = _post_sign_in(client, user.email, PASSWORD)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    page = client.get("/")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "<script>" not in page.get_data(as_text=True)  # no inline script anywhere


def test_secure_cookie_outside_development() -> None:
    from config import from_env

    config = from_env({"CX_ENV": "production", "SECRET_KEY": "x" * 40})
    assert config.flask_settings()["SESSION_COOKIE_SECURE"] is True


def test_secret_key_required_outside_development() -> None:
    import pytest

    from config import ConfigError, from_env

    with pytest.raises(ConfigError):
        from_env({"CX_ENV": "production"})


def test_change_password_ends_other_sessions(
    app: Any, client: Any, login: Any, make_user: Any
) -> None:
    user = make_user("viewer")
    other = app.test_client()
    other.post(
        "/sign-in",
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(other)},
    )
    assert other.get("/").status_code == 200
    login(user.email)
    token = csrf_token(client, "/account/password")
    new = "a much better passphrase 42"
    response = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": new,
            "confirm": new,
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # this session continues
    assert other.get("/").status_code == 302  # the other one is signed out


def test_password_hash_is_argon2(make_user: Any) -> None:
    user = make_user("viewer")
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_deactivated_user_cannot_sign_in(
    client: Any, login: Any, make_user: Any, db_session: Any
) -> None:
    user = make_user("chief")
    user.is_active_user = False
    db_session.flush()
    assert login(user.email).status_code == 200
    assert client.get("/").status_code == 302


def test_error_pages_use_the_site_look(client: Any, login: Any, make_user: Any) -> None:
    login(make_user("viewer").email)
    not_found = client.get("/no-such-page")
    assert not_found.status_code == 404
    assert b"Page not found" in not_found.data and b"usa-header" in not_found.data
    forbidden = client.get("/users")
    assert forbidden.status_code == 403
    assert b"Access denied" in forbidden.data and b"usa-header" in forbidden.data
