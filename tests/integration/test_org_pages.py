"""Department pages: officers edit only their own department's services; concurrent edits
never overwrite each other silently; every save is audited."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from cxprogram.models import AuditEvent, Service
from tests.conftest import csrf_token


@pytest.fixture
def two_departments(make_department: Any, db_session: Any) -> tuple[Any, Any]:
    dmv, va = make_department("DMV"), make_department("VA")
    for dept in (dmv, va):
        db_session.add(
            Service(department=dept, name=f"{dept.code} licences", provider="Front office")
        )
    db_session.flush()
    return dmv, va


def _edit_url(dept: Any) -> str:
    return f"/departments/{dept.code}/services/{dept.services[0].id}/edit"


def _save(client: Any, url: str, description: str, version: int) -> Any:
    token = csrf_token(client, url)
    return client.post(
        url, data={"description": description, "version": str(version), "csrf_token": token}
    )


def test_officer_gets_403_on_another_departments_edit_page(
    client: Any, login: Any, make_user: Any, two_departments: tuple[Any, Any]
) -> None:
    dmv, va = two_departments
    login(make_user("officer", departments=("DMV",)).email)
    assert client.get(_edit_url(dmv)).status_code == 200
    assert client.get(_edit_url(va)).status_code == 403
    data = {"description": "x", "version": "1"}
    assert client.post(_edit_url(va), data=data).status_code == 400  # no CSRF token
    data["csrf_token"] = csrf_token(client, _edit_url(dmv))  # a valid token of a page of DMV's
    assert client.post(_edit_url(va), data=data).status_code == 403
    assert va.services[0].description == ""


@pytest.mark.parametrize("role", ["viewer", "admin"])
def test_viewers_and_admins_cannot_edit_department_data(
    client: Any, login: Any, make_user: Any, two_departments: tuple[Any, Any], role: str
) -> None:
    login(make_user(role).email)
    assert client.get(_edit_url(two_departments[0])).status_code == 403


def test_department_page_is_readable_and_shows_edit_only_to_its_officer(
    client: Any, login: Any, make_user: Any, two_departments: tuple[Any, Any]
) -> None:
    dmv, va = two_departments
    login(make_user("officer", departments=("DMV",)).email)
    assert b"/edit" in client.get("/departments/DMV").data
    assert b"/edit" not in client.get("/departments/VA").data


def test_save_is_audited_with_before_and_after(
    client: Any, login: Any, make_user: Any, two_departments: tuple[Any, Any], db_session: Any
) -> None:
    dmv, _ = two_departments
    officer = make_user("officer", departments=("DMV",))
    login(officer.email)
    response = _save(client, _edit_url(dmv), "Licences renewed online or at any office.", 1)
    assert response.status_code == 302
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "service")).one()
    assert event.actor_id == officer.id
    assert event.before["description"] == ""
    assert event.after["description"] == "Licences renewed online or at any office."


def test_second_editor_is_refused_and_sees_the_first_editors_save(
    app: Any, client: Any, login: Any, make_user: Any, two_departments: tuple[Any, Any]
) -> None:
    dmv, _ = two_departments
    url = _edit_url(dmv)
    login(make_user("officer", departments=("DMV",)).email)
    other = app.test_client()
    chief = make_user("chief")
    other.post("/sign-in", data={"email": chief.email, "password": "correct horse battery staple",
                                 "csrf_token": csrf_token(other)})  # fmt: skip
    # Both opened the form at version 1; the chief saves first.
    assert _save(other, url, "Chief's wording", 1).status_code == 302
    conflict = _save(client, url, "Officer's wording", 1)
    assert conflict.status_code == 409
    page = conflict.get_data(as_text=True)
    assert "Someone else saved this service" in page
    assert "Chief&#39;s wording" in page  # theirs, shown
    assert "Officer&#39;s wording" in page  # mine, kept in the form
    assert dmv.services[0].description == "Chief's wording"


def test_an_edit_of_the_channels_alone_is_versioned_so_a_second_editor_is_refused(
    app: Any,
    client: Any,
    login: Any,
    make_user: Any,
    two_departments: tuple[Any, Any],
    db_session: Any,
) -> None:
    """Channels and stages live in link tables; a save changing only them wrote no column of
    the service, so its version stayed 1 and a second editor's save silently undid it."""
    from cxprogram.metrics import services as metric_services
    from cxprogram.models import Channel

    metric_services.ensure_vocabularies()
    web = db_session.scalars(select(Channel).where(Channel.code == "web")).one()
    dmv, _ = two_departments
    url = _edit_url(dmv)
    login(make_user("officer", departments=("DMV",)).email)
    token = csrf_token(client, url)
    data = {"description": "", "version": "1", "csrf_token": token, "channels": str(web.id)}
    assert client.post(url, data=data).status_code == 302
    service = db_session.get(Service, dmv.services[0].id)
    db_session.refresh(service)
    assert [c.code for c in service.channels] == ["web"] and service.version == 2
    stale = {"description": "", "version": "1", "csrf_token": csrf_token(client, url)}
    assert client.post(url, data=stale).status_code == 409
    db_session.refresh(service)
    assert [c.code for c in service.channels] == ["web"]
