"""People administration: last-admin rule, deactivation ends sessions, password links and
one-time passwords (real SMTP on loopback), optimistic locking, search, the officer directory."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from cxprogram.auth.models import PasswordReset, Role, User
from cxprogram.models import AuditEvent
from cxprogram.people import resets
from tests.conftest import PASSWORD, csrf_token
from tests.integration.mailserver import Inbox

NEW_PASSWORD = "a fresh long passphrase 42"


def _post(client: Any, url: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
    payload = {"csrf_token": csrf_token(client, "/account/password"), **(data or {})}
    return client.post(url, data=payload, **kw)


def _sign_in(client: Any, email: str, password: str = PASSWORD) -> Any:
    data = {"email": email, "password": password, "csrf_token": csrf_token(client)}
    return client.post("/sign-in", data=data)


def _text(message: Any) -> str:
    """A received message's body, decoded (long link lines arrive quoted-printable)."""
    return str(message.get_payload(decode=True).decode())


def _edit_data(user: User, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": user.name,
        "role": user.role.value,
        "departments": [d.id for d in user.departments],
        "version": str(user.version),
    }
    return {**data, **changes}


def _audit(db_session: Any, action: str, user: User) -> list[AuditEvent]:
    query = select(AuditEvent).where(
        AuditEvent.action == action, AuditEvent.entity_type == "user",
        AuditEvent.entity_id == str(user.id),
    )  # fmt: skip
    return list(db_session.scalars(query))


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(
    client: Any, login: Any, make_user: Any, db_session: Any
) -> None:
    admin = make_user("admin")
    login(admin.email)
    response = _post(client, f"/users/{admin.id}/edit", _edit_data(admin, role="chief"))
    assert response.status_code == 422
    assert "last active administrator" in response.get_data(as_text=True)
    response = _post(client, f"/users/{admin.id}/deactivate")
    assert response.status_code == 409
    assert "last active administrator" in response.get_data(as_text=True)
    db_session.expire_all()
    assert admin.role.value == "admin" and admin.is_active_user
    second = make_user("admin")
    response = _post(client, f"/users/{second.id}/edit", _edit_data(second, role="viewer"))
    assert response.status_code == 302  # another admin remains: allowed
    db_session.expire_all()
    assert second.role.value == "viewer"
    assert _audit(db_session, "update", second)[0].before["role"] == "admin"  # type: ignore[index]


def test_a_deactivated_admin_does_not_count_as_the_remaining_admin(
    client: Any, login: Any, make_user: Any, db_session: Any
) -> None:
    admin = make_user("admin")
    other = make_user("admin")
    login(admin.email)
    assert _post(client, f"/users/{other.id}/deactivate").status_code == 302
    response = _post(client, f"/users/{admin.id}/deactivate")
    assert response.status_code == 409
    db_session.expire_all()
    assert admin.is_active_user and not other.is_active_user


def test_deactivation_ends_an_open_session_at_once_and_refuses_sign_in(
    app: Flask, client: Any, login: Any, make_user: Any, make_department: Any, db_session: Any
) -> None:
    make_department("DMV")
    officer = make_user("officer", departments=("DMV",))
    officer_client = app.test_client()
    assert _sign_in(officer_client, officer.email).status_code == 302
    assert officer_client.get("/").status_code == 200
    admin = make_user("admin")
    login(admin.email)
    assert _post(client, f"/users/{officer.id}/deactivate").status_code == 302
    response = officer_client.get("/departments")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")
    again = _sign_in(app.test_client(), officer.email)
    assert again.status_code == 200
    assert "do not match an active account" in again.get_data(as_text=True)
    event = _audit(db_session, "deactivate", officer)[0]
    assert event.before["active"] is True and event.after["active"] is False  # type: ignore[index]
    assert "password" not in str(event.before) + str(event.after)
    assert _post(client, f"/users/{officer.id}/reactivate").status_code == 302
    assert _sign_in(app.test_client(), officer.email).status_code == 302


def test_create_user_without_smtp_shows_a_one_time_password_once(
    app: Flask, client: Any, login: Any, make_user: Any, make_department: Any, db_session: Any
) -> None:
    dept = make_department("DMV")
    login(make_user("admin").email)
    data = {"email": "New.Officer@Example.test", "name": "New Officer", "role": "officer",
            "departments": [dept.id]}  # fmt: skip
    response = _post(client, "/users/new", data)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    password = re.search(r'data-testid="one-time-password">([^<]+)<', page)
    assert password, page
    user = db_session.scalar(select(User).where(User.email == "new.officer@example.test"))
    assert user.must_change_password and [d.code for d in user.departments] == ["DMV"]
    assert password.group(1) not in client.get(f"/users/{user.id}/edit").get_data(as_text=True)
    newcomer = app.test_client()
    assert _sign_in(newcomer, user.email, password.group(1)).status_code == 302
    forced = newcomer.get("/")
    assert forced.status_code == 302 and forced.headers["Location"] == "/account/password"
    change = {"current_password": password.group(1), "new_password": NEW_PASSWORD,
              "confirm": NEW_PASSWORD}  # fmt: skip
    assert _post(newcomer, "/account/password", change).status_code == 302
    home = newcomer.get("/")
    assert home.status_code == 200 and "Department DMV (DMV)" in home.get_data(as_text=True)


def test_create_user_refuses_an_officer_without_department_and_a_bad_email(
    client: Any, login: Any, make_user: Any, db_session: Any
) -> None:
    login(make_user("admin").email)
    data = {"email": "x@example.test", "name": "X", "role": "officer"}
    response = _post(client, "/users/new", data)
    assert response.status_code == 422
    assert "at least one department" in response.get_data(as_text=True)
    response = _post(client, "/users/new", {**data, "email": "not-an-address", "role": "chief"})
    assert response.status_code == 422
    assert "&#39;not-an-address&#39; is not an e-mail address." in response.get_data(as_text=True)
    assert db_session.scalar(select(User).where(User.name == "X")) is None


def test_reset_link_is_mailed_and_single_use(
    app: Flask,
    client: Any,
    login: Any,
    make_user: Any,
    db_session: Any,
    smtp: Inbox,
) -> None:
    user = make_user("chief")
    login(make_user("admin").email)
    response = _post(client, f"/users/{user.id}/reset-password")
    assert response.status_code == 302
    assert len(smtp.messages) == 1 and smtp.messages[0]["To"] == user.email
    body = _text(smtp.messages[0])
    url = re.search(re.escape(app.config["CX_BASE_URL"]) + r"(/reset-password/\S+)", body)
    assert url, body
    stored = db_session.scalar(select(PasswordReset).where(PasswordReset.user_id == user.id))
    assert url.group(1).rsplit("/", 1)[1] not in stored.token_hash  # only the digest is kept
    visitor = app.test_client()
    assert visitor.get(url.group(1)).status_code == 200
    data = {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert _post_to(visitor, url.group(1), data).status_code == 302
    assert _sign_in(app.test_client(), user.email, NEW_PASSWORD).status_code == 302
    assert _sign_in(app.test_client(), user.email, PASSWORD).status_code == 200
    reused = _post_to(app.test_client(), url.group(1), {**data, "new_password": "x" * 20})
    assert reused.status_code == 410
    assert "expired or has already been used" in reused.get_data(as_text=True)


def _post_to(client: Any, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, data={"csrf_token": csrf_token(client), **data})


def test_reset_link_expires_and_a_new_link_withdraws_the_old(
    app: Flask, client: Any, make_user: Any, db_session: Any
) -> None:
    user = make_user("viewer")
    admin = make_user("admin")
    now = datetime.now(UTC)
    old = resets.issue_link(user, "reset", admin, now - timedelta(hours=3))
    visitor = app.test_client()
    assert visitor.get(f"/reset-password/{old.secret}").status_code == 410
    first = resets.issue_link(user, "reset", admin, now)
    second = resets.issue_link(user, "reset", admin, now)
    db_session.flush()
    assert visitor.get(f"/reset-password/{first.secret}").status_code == 410
    assert visitor.get(f"/reset-password/{second.secret}").status_code == 200
    assert resets.find_link(second.secret, now + timedelta(hours=2, seconds=1)) is None


def test_a_stale_edit_is_refused_with_the_other_save_shown(
    client: Any, login: Any, make_user: Any, make_department: Any, db_session: Any
) -> None:
    make_department("DMV")
    target = make_user("officer", departments=("DMV",))
    login(make_user("admin").email)
    form = client.get(f"/users/{target.id}/edit").get_data(as_text=True)
    ticked = re.findall(r"<input[^>]*checked[^>]*>", form)
    assert len(ticked) == 1 and f'value="{target.departments[0].id}"' in ticked[0]
    stale = _edit_data(target)
    assert (
        _post(client, f"/users/{target.id}/edit", {**stale, "name": "Their Name"}).status_code
        == 302
    )
    response = _post(client, f"/users/{target.id}/edit", {**stale, "name": "My Name"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Someone else saved this user" in page and "Their Name" in page and "My Name" in page
    db_session.expire_all()
    assert target.name == "Their Name"


def test_a_sign_in_does_not_make_an_admin_form_stale(
    app: Flask, client: Any, login: Any, make_user: Any, db_session: Any
) -> None:
    target = make_user("chief")
    login(make_user("admin").email)
    form = _edit_data(target, name="Renamed Chief")
    assert _sign_in(app.test_client(), target.email).status_code == 302
    assert _post(client, f"/users/{target.id}/edit", form).status_code == 302


def test_search_by_text_role_department_and_state(
    client: Any, login: Any, make_user: Any, make_department: Any
) -> None:
    dmv = make_department("DMV")
    make_department("VA")
    make_user("officer", email="dana.dmv@example.test", departments=("DMV",))
    make_user("officer", email="victor.va@example.test", departments=("VA",))
    login(make_user("admin", email="boss@example.test").email)
    page = client.get("/users?q=dana").get_data(as_text=True)
    assert "dana.dmv@example.test" in page and "victor.va@example.test" not in page
    page = client.get(f"/users?department={dmv.id}").get_data(as_text=True)
    assert "dana.dmv@example.test" in page and "victor.va@example.test" not in page
    page = client.get("/users?role=admin").get_data(as_text=True)
    assert "boss@example.test" in page and "dana.dmv" not in page
    assert "dana.dmv" not in client.get("/users?state=inactive").get_data(as_text=True)


def test_officers_see_the_directory_but_not_user_settings(
    client: Any, login: Any, make_user: Any, make_department: Any
) -> None:
    make_department("DMV", "Motor Vehicles")
    make_department("VA", "Veterans Affairs")
    other = make_user("officer", email="other@example.test", departments=("VA",))
    officer = make_user("officer", departments=("DMV",))
    login(officer.email)
    page = client.get("/officers").get_data(as_text=True)
    assert "other@example.test" in page and "Veterans Affairs (VA)" in page
    assert client.get("/users").status_code == 403
    assert client.get(f"/users/{other.id}/edit").status_code == 403
    assert _post(client, f"/users/{other.id}/deactivate").status_code == 403
    assert _post(client, f"/users/{other.id}/reset-password").status_code == 403


def _awaiting(db_session: Any, *emails: str) -> list[User]:
    from cxprogram.auth.services import create_user

    users = [create_user(e, e.split("@")[0], Role.VIEWER, None) for e in emails]
    db_session.flush()
    return users


def test_everyone_awaiting_a_password_gets_a_one_time_password_listed_once(
    app: Flask, client: Any, login: Any, make_user: Any, db_session: Any
) -> None:
    _awaiting(db_session, "amy@example.test", "ben@example.test")
    login(make_user("admin").email)
    assert "2 active users are awaiting a first password" in client.get("/users").get_data(
        as_text=True
    )
    response = _post(client, "/users/first-passwords")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    row = r'<th scope="row">([^<]+)</th><td>[^<]*</td><td><code class="cx-secret">([^<]+)<'
    found = dict(re.findall(row, response.get_data(as_text=True)))
    assert sorted(found) == ["amy@example.test", "ben@example.test"]
    assert (
        _sign_in(app.test_client(), "amy@example.test", found["amy@example.test"]).status_code
        == 302
    )
    assert "awaiting a first password" not in client.get("/users").get_data(as_text=True)


def test_everyone_awaiting_a_password_is_mailed_an_invitation(
    app: Flask,
    client: Any,
    login: Any,
    make_user: Any,
    db_session: Any,
    smtp: Inbox,
) -> None:
    _awaiting(db_session, "cat@example.test", "dan@example.test")
    login(make_user("admin").email)
    response = _post(client, "/users/first-passwords")
    assert response.status_code == 302
    assert sorted(m["To"] for m in smtp.messages) == ["cat@example.test", "dan@example.test"]
    body = _text(next(m for m in smtp.messages if m["To"] == "dan@example.test"))
    path = re.search(re.escape(app.config["CX_BASE_URL"]) + r"(/reset-password/\S+)", body)
    assert path and "invited" in smtp.messages[0]["Subject"]
    data = {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert _post_to(app.test_client(), path.group(1), data).status_code == 302
    assert _sign_in(app.test_client(), "dan@example.test", NEW_PASSWORD).status_code == 302


def test_an_admin_may_step_down_when_another_admin_remains(
    client: Any, login: Any, make_user: Any, db_session: Any
) -> None:
    admin = make_user("admin")
    make_user("admin")
    login(admin.email)
    response = _post(client, f"/users/{admin.id}/edit", _edit_data(admin, role="chief"))
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/users").status_code == 403


def test_two_admins_demoting_each_other_at_once_leave_one_admin(
    app: Flask, database_url: str
) -> None:
    """Two real transactions on PostgreSQL: the second waits for the first's row locks."""
    import threading

    import pytest
    from sqlalchemy import delete, or_

    from cxprogram.auth.services import UserError, create_user
    from cxprogram.extensions import db
    from cxprogram.people.services import UserChange, update_user

    if not database_url.startswith("postgresql"):
        pytest.skip("row locks are PostgreSQL's; SQLite lets one writer at a time anyway")
    with app.app_context():
        ids = [create_user(f"race{i}@example.test", f"Race {i}", Role.ADMIN, PASSWORD).id
               for i in (1, 2)]  # fmt: skip
        db.session.commit()
    first_flushed, outcomes = threading.Event(), {}

    def demote(target: int, actor: int, hold: bool) -> None:
        with app.app_context():
            user, by = db.session.get(User, target), db.session.get(User, actor)
            assert user is not None
            try:
                update_user(user, UserChange(user.name, Role.CHIEF, [], user.version), by)
                first_flushed.set()
                if hold:
                    threading.Event().wait(1.0)  # keep the locks while the other one tries
                db.session.commit()
                outcomes[target] = "demoted"
            except UserError:
                db.session.rollback()
                outcomes[target] = "refused"

    try:
        one = threading.Thread(target=demote, args=(ids[1], ids[0], True))
        one.start()
        assert first_flushed.wait(10)
        two = threading.Thread(target=demote, args=(ids[0], ids[1], False))
        two.start()
        one.join(20)
        two.join(20)
        assert outcomes == {ids[1]: "demoted", ids[0]: "refused"}
    finally:
        with app.app_context():
            db.session.execute(delete(AuditEvent).where(or_(
                AuditEvent.actor_id.in_(ids), AuditEvent.entity_id.in_([str(i) for i in ids])
            )))  # fmt: skip
            db.session.execute(delete(User).where(User.id.in_(ids)))
            db.session.commit()
