"""The API tokens page: own tokens listed, created (secret shown once), revoked; the admin
sees and revokes anyone's; nobody else can revoke another user's token."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from cxprogram.auth.models import ApiToken
from cxprogram.auth.tokens import create_token
from cxprogram.models import AuditEvent
from tests.conftest import PASSWORD, csrf_token


def _post(client: Any, url: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(
        url, data={"csrf_token": csrf_token(client, "/account/tokens"), **(data or {})}
    )


def test_create_shows_the_secret_once_and_the_token_works(
    app: Any, client: Any, login: Any, make_user: Any, db_session: Any
) -> None:
    user = make_user("chief")
    login(user.email)
    response = _post(client, "/account/tokens/new", {"name": "nightly export"})
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    secret = re.search(r'data-testid="new-token">(cxp_[^<]+)<', response.get_data(as_text=True))
    assert secret
    listing = client.get("/account/tokens").get_data(as_text=True)
    assert "nightly export" in listing and secret.group(1) not in listing and "never" in listing
    bearer = {"Authorization": f"Bearer {secret.group(1)}"}
    api = app.test_client().get("/api/v1/departments", headers=bearer)
    assert api.status_code == 200
    assert "Last used" in client.get("/account/tokens").get_data(as_text=True)
    db_session.expire_all()  # the use is written in its own transaction, after the request
    token = db_session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert token.last_used_at is not None
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "api_token"))
    assert event.after == {"user": user.email, "name": "nightly export"}


def test_revoke_own_token_stops_it(
    app: Any, client: Any, login: Any, make_user: Any, db_session: Any
) -> None:
    user = make_user("viewer")
    secret = create_token(user, "laptop")
    token = db_session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    bearer = {"Authorization": f"Bearer {secret}"}
    assert app.test_client().get("/api/v1/departments", headers=bearer).status_code == 200
    login(user.email)
    assert _post(client, f"/account/tokens/{token.id}/revoke").status_code == 302
    db_session.expire_all()
    assert token.revoked_at is not None
    assert "Revoked" in client.get("/account/tokens").get_data(as_text=True)
    api = app.test_client().get(
        "/api/v1/departments", headers={"Authorization": f"Bearer {secret}"}
    )
    assert api.status_code == 401


def test_admin_sees_and_revokes_anyones_token_others_cannot(
    app: Any, client: Any, login: Any, make_user: Any, db_session: Any
) -> None:
    owner = make_user("chief", email="owner@example.test")
    create_token(owner, "reporting robot")
    token = db_session.scalar(select(ApiToken).where(ApiToken.user_id == owner.id))
    login(make_user("chief").email)
    assert "reporting robot" not in client.get("/account/tokens").get_data(as_text=True)
    assert client.get("/users/tokens").status_code == 403
    assert _post(client, f"/account/tokens/{token.id}/revoke").status_code == 403
    db_session.expire_all()
    assert token.revoked_at is None
    admin_client = app.test_client()
    admin = make_user("admin")
    sign_in = {"email": admin.email, "password": PASSWORD, "csrf_token": csrf_token(admin_client)}
    admin_client.post("/sign-in", data=sign_in)
    listing = admin_client.get("/users/tokens").get_data(as_text=True)
    assert "reporting robot" in listing and "owner@example.test" in listing
    response = admin_client.post(
        f"/account/tokens/{token.id}/revoke",
        data={"csrf_token": csrf_token(admin_client, "/users/tokens"), "back": "all"},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/users/tokens"
    db_session.expire_all()
    assert token.revoked_at is not None
    event = db_session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "revoke", AuditEvent.entity_id == str(token.id)
        )
    )
    assert event.actor_id == admin.id and event.after["revoked"] is True


def test_a_token_needs_a_name(client: Any, login: Any, make_user: Any, db_session: Any) -> None:
    user = make_user("viewer")
    login(user.email)
    assert _post(client, "/account/tokens/new", {"name": ""}).status_code == 422
    assert db_session.scalar(select(ApiToken).where(ApiToken.user_id == user.id)) is None
