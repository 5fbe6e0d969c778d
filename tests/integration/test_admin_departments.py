"""Department and service administration: code rules, parents without cycles, deactivation
that keeps history, optimistic locking, audit, and who may manage the structure."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from cxprogram.admin import calc
from cxprogram.core.fiscal import parse_period
from cxprogram.metrics import services as metric_services
from cxprogram.metrics.catalog import STANDARD_METRICS
from cxprogram.models import AuditEvent, Channel, Department, Observation, Service
from tests.conftest import PASSWORD, csrf_token

NEW = "/admin/departments/new"


@pytest.fixture
def admin(client: Any, login: Any, make_user: Any) -> Any:
    user = make_user("admin")
    login(user.email)
    return user


def _post(client: Any, url: str, **data: Any) -> Any:
    data["csrf_token"] = csrf_token(client, "/account/password")
    return client.post(url, data=data)


def _edit(client: Any, dept: Department, **changes: Any) -> Any:
    data = {"code": dept.code, "name": dept.name, "version": str(dept.version)}
    data["parent"] = str(dept.parent_id or "")
    return _post(client, f"/admin/departments/{dept.code}/edit", **{**data, **changes})


def _audit(db_session: Any, action: str, entity: str = "department") -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == action, AuditEvent.entity_type == entity)
    return list(db_session.scalars(query))


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("DMV", None),
        ("parks-2", None),
        ("A1", None),
        ("X", "not a valid code"),
        ("FINTRAC-CANAFE", None),
        ("A" * 20, None),
        ("A" * 21, "not a valid code"),
        ("-AB", "not a valid code"),
        ("DM V", "not a valid code"),
        ("DMV!", "not a valid code"),
        ("", "a code is required"),
    ],
)
def test_code_rules(raw: str, problem: str | None) -> None:
    found = calc.code_problem(calc.normalise_code(raw))
    assert (found is None) if problem is None else (problem in (found or ""))


def test_parent_cycle_rule() -> None:
    parents = {"A": None, "B": "A", "C": "B"}
    assert calc.creates_cycle("A", "A", parents)
    assert calc.creates_cycle("A", "C", parents)  # C is below A
    assert not calc.creates_cycle("C", "A", parents)
    assert calc.descendants("A", parents) == {"B", "C"}


def test_admin_creates_a_department_with_a_normalised_code(
    client: Any, admin: Any, db_session: Any, make_department: Any
) -> None:
    parent = make_department("CITY")
    response = _post(client, NEW, code=" parks ", name="Parks", parent=str(parent.id))
    assert response.status_code == 302
    dept = db_session.scalars(select(Department).where(Department.code == "PARKS")).one()
    assert dept.parent is parent and dept.is_active
    (event,) = _audit(db_session, "create")
    assert event.after["code"] == "PARKS" and event.actor_id == admin.id


@pytest.mark.parametrize(
    ("data", "message", "status"),
    [  # the form's own checks show the form again (200); the service's refusal is a 422
        ({"code": "dmv", "name": "Another"}, "DMV is already the code of", 422),
        ({"code": "X!", "name": "Bad"}, "is not a valid code", 200),
        ({"code": "NEW", "name": ""}, "This field is required", 200),
    ],
)
def test_bad_department_is_refused_and_nothing_written(
    client: Any,
    admin: Any,
    db_session: Any,
    make_department: Any,
    data: Any,
    message: str,
    status: int,
) -> None:
    make_department("DMV")
    db_session.commit()  # the request's rollback must not take the setup with it
    response = _post(client, NEW, parent="", **data)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert (
        db_session.scalar(select(Department).where(Department.name.in_(["Another", "Bad"]))) is None
    )
    assert _audit(db_session, "create") == []


def test_a_parent_cannot_be_the_department_or_below_it(
    client: Any, admin: Any, db_session: Any, make_department: Any
) -> None:
    top = make_department("TOP")
    mid = make_department("MID", parent=top)
    low = make_department("LOW", parent=mid)
    db_session.commit()  # the request's rollback must not take the setup with it
    page = client.get("/admin/departments/TOP/edit").get_data(as_text=True)
    options = re.search(r'<select[^>]*name="parent".*?</select>', page, re.S)
    assert options is not None
    offered = set(re.findall(r'value="(\d+)"', options.group(0)))
    assert str(low.id) not in offered and str(top.id) not in offered
    for parent in (top, low):
        response = _edit(client, top, parent=str(parent.id))
        assert response.status_code == 422
        assert "a department cannot be placed under itself" in response.get_data(as_text=True)
    db_session.expire_all()
    assert top.parent_id is None and _audit(db_session, "update") == []


def test_edit_changes_code_name_parent_with_audit(
    client: Any, admin: Any, db_session: Any, make_department: Any
) -> None:
    top = make_department("TOP")
    dept = make_department("OLD", "Old name")
    response = _edit(client, dept, code="new", name="New name", parent=str(top.id))
    assert response.status_code == 302
    db_session.expire_all()
    assert (dept.code, dept.name, dept.parent_id) == ("NEW", "New name", top.id)
    (event,) = _audit(db_session, "update")
    assert event.before["code"] == "OLD" and event.after["parent"] == "TOP"


def test_stale_department_edit_gets_409_with_both_versions(
    client: Any, admin: Any, db_session: Any, make_department: Any
) -> None:
    dept = make_department("DMV", "Motor vehicles")
    db_session.commit()
    started = dept.version
    assert _edit(client, dept, name="First editor").status_code == 302
    conflict = _edit(client, dept, name="Second editor", version=str(started))
    assert conflict.status_code == 409
    page = conflict.get_data(as_text=True)
    assert "Someone else saved this department" in page
    assert "First editor" in page and 'value="Second editor"' in page
    db_session.expire_all()
    assert dept.name == "First editor"


def test_deactivate_keeps_history_and_marks_inactive(
    app: Any, client: Any, admin: Any, db_session: Any, make_department: Any, make_user: Any
) -> None:
    dept = make_department("OLD", "Old department")
    metric = metric_services.ensure_metric(STANDARD_METRICS[0])[0]
    period, _ = metric_services.ensure_period(parse_period("FY2024-Q1"), 10)
    db_session.add(Observation(department=dept, metric=metric, period=period, value=4.1, n=9))
    db_session.flush()
    url = "/admin/departments/OLD/deactivate"
    assert _post(client, url, version=str(dept.version)).status_code == 302
    db_session.expire_all()
    assert dept.is_active is False
    assert db_session.scalar(select(Observation).where(Observation.department_id == dept.id))
    (event,) = _audit(db_session, "deactivate")
    assert event.before["is_active"] is True and event.after["is_active"] is False
    listing = client.get("/admin/departments?status=inactive").get_data(as_text=True)
    assert "OLD" in listing and "Inactive" in listing
    assert "OLD" not in client.get("/admin/departments").get_data(as_text=True)
    chief, other = make_user("chief"), app.test_client()
    other.post("/sign-in", data={"email": chief.email, "password": PASSWORD,
                                 "csrf_token": csrf_token(other)})  # fmt: skip
    page = other.get("/departments/OLD")
    assert page.status_code == 200 and "inactive" in page.get_data(as_text=True)
    from cxprogram.auth.tokens import create_token

    bearer = {"Authorization": f"Bearer {create_token(chief)}"}
    history = app.test_client().get("/api/v1/observations?department=OLD", headers=bearer)
    assert history.get_json()["total"] == 1  # its observations are still there to read


def test_reactivate_and_stale_status_change(
    client: Any, admin: Any, db_session: Any, make_department: Any
) -> None:
    dept = make_department("OLD", is_active=False)
    db_session.commit()
    stale = dept.version
    assert _post(client, "/admin/departments/OLD/reactivate", version=str(stale)).status_code == 302
    db_session.expire_all()
    assert dept.is_active
    again = _post(client, "/admin/departments/OLD/deactivate", version=str(stale))
    assert again.status_code == 409
    db_session.expire_all()
    assert dept.is_active and len(_audit(db_session, "reactivate")) == 1


@pytest.mark.parametrize("role", ["chief", "officer", "viewer"])
def test_only_admins_manage_departments(
    client: Any, login: Any, make_user: Any, make_department: Any, role: str
) -> None:
    make_department("DMV")
    login(make_user(role, departments=("DMV",)).email)
    assert client.get("/admin/departments").status_code == 403
    assert client.get("/admin/departments/DMV/edit").status_code == 403
    assert _post(client, NEW, code="ZZ", name="Z").status_code == 403


def test_admin_creates_edits_and_deactivates_a_service(
    client: Any, admin: Any, db_session: Any, make_department: Any
) -> None:
    metric_services.ensure_vocabularies()
    dept = make_department("DMV")
    web = db_session.scalars(select(Channel).where(Channel.code == "web")).one()
    db_session.commit()
    url = "/admin/departments/DMV/services/new"
    assert (
        _post(client, url, name="Licences", description="", channels=[str(web.id)]).status_code
        == 302
    )
    service = db_session.scalars(select(Service).where(Service.department_id == dept.id)).one()
    assert [c.code for c in service.channels] == ["web"]
    dup = _post(client, url, name="licences", description="")
    assert dup.status_code == 422 and "already has a service named Licences" in dup.get_data(
        as_text=True
    )
    edit = f"/admin/departments/DMV/services/{service.id}/edit"
    saved = _post(
        client, edit, name="Driver licences", description="Renewals", version=str(service.version)
    )
    assert saved.status_code == 302
    stale = _post(client, edit, name="Lost", description="", version="1")
    assert stale.status_code == 409 and "Driver licences" in stale.get_data(as_text=True)
    off = f"/admin/departments/DMV/services/{service.id}/deactivate"
    db_session.expire_all()
    assert _post(client, off, version=str(service.version)).status_code == 302
    db_session.expire_all()
    assert service.name == "Driver licences" and service.is_active is False
    actions = {
        e.action
        for e in db_session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "service"))
    }
    assert actions == {"create", "update", "deactivate"}


def test_a_20_character_code_works_end_to_end(
    client: Any,
    admin: Any,
    db_session: Any,
    runner: Any,
    app: Any,
    make_settings: Any,
    make_metrics: Any,
    make_period: Any,
    make_user: Any,
    tmp_path: Any,
) -> None:
    """Issue 13: codes such as FINTRAC-CANAFE were refused (12 characters at most)."""
    from cxprogram.auth.tokens import create_token

    code = "FINTRAC-CANAFE-ABCDE"
    assert len(code) == 20
    make_settings()
    make_metrics()
    make_period("FY2023-Q1")
    db_session.commit()
    response = _post(client, NEW, code=code.lower(), name="Financial Transactions", parent="")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert "2 to 20 characters" in client.get(NEW).get_data(as_text=True)  # the form's hint
    rows = tmp_path / "obs.csv"
    rows.write_text(f"department,metric,period,value,n\n{code},satisfaction,FY2023-Q1,4.2,10\n")
    with app.app_context():
        imported = runner.invoke(args=["import", "observations", str(rows)])
        assert imported.exit_code == 0, imported.output
        rolled = runner.invoke(args=["rollup", "--period", "FY2023-Q1"])
        assert rolled.exit_code == 0, rolled.output
    token = create_token(make_user("chief"), "test")
    db_session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    rollup = client.get("/api/v1/rollups/FY2023-Q1", headers=headers).get_json()
    assert rollup["metrics"]["satisfaction"]["departments"][code]["score"] == 4.2
    assert client.get(NEW.replace("new", f"{code}/edit")).status_code == 200
