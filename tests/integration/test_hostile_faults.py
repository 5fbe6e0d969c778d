"""The faults issue 16 reproduced over HTTP, one test each: the audit export over a log
holding events of every kind (fault 1), the odd inputs that were 500s (fault 2) and what
an officer read of another department (fault 5)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from cxprogram.auth.tokens import create_token
from cxprogram.core import audit
from cxprogram.core.inputs import JSON_MAX_DEPTH, MAX_INT
from cxprogram.models import AuditEvent
from tests.conftest import PASSWORD, csrf_token
from tests.integration import test_read_scope
from tests.integration.test_read_scope import PERIOD, World

scope_world = test_read_scope.world  # the fixture: departments A and B, a user per role
PACKAGE = Path(__file__).resolve().parents[2] / "cxprogram"
KIND = re.compile(r"""record\(\s*f?"([\w:{}.]+)"(?:\s+if\s+\w+\s+else\s+"(\w+)")?,\s*"([\w:]+)\"""")


def _kinds() -> set[tuple[str, str]]:
    """(action, entity type) of every audit.record call in the code (a new kind is found)."""
    kinds = set()
    for path in PACKAGE.rglob("*.py"):
        for match in KIND.finditer(path.read_text()):
            first, other, entity = match.groups()
            kinds |= {(first, entity)} | ({(other, entity)} if other else set())
    return kinds


# Before/after values of every shape the log holds.
SHAPES: list[dict[str, Any] | None] = [
    None, {}, {"value": 4.25, "n": 10}, {"note": "=cmd()", "name": "Émile\r\nNew line"},
    {"departments": [1, 2], "nested": {"a": [None, True]}}, {"date": "2024-01-31"},
]  # fmt: skip


@pytest.fixture
def closing_sessions(db_session: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """End the database session at the end of each request, as outside the tests (the
    shared test session otherwise stays open across requests and hides the fault)."""
    db_session.commit()  # releases the test's savepoint: the data stays in its transaction
    monkeypatch.setattr(type(db_session), "remove", lambda self: self.registry().close())


def test_audit_export_streams_a_log_of_every_kind_of_event(
    client: Any, login: Any, make_user: Any, make_department: Any, db_session: Any,
    request: pytest.FixtureRequest,
) -> None:  # fmt: skip
    kinds = sorted(_kinds())
    assert len(kinds) >= 20, kinds  # the scan found the code's calls
    chief, dept = make_user("chief"), make_department("DMV")
    for i, (action, entity) in enumerate(kinds):
        audit.record(
            action, entity, f"id-{i}", actor=chief if i % 2 else None,
            before=SHAPES[i % len(SHAPES)], after=SHAPES[(i + 1) % len(SHAPES)],
            department_id=dept.id if i % 3 else None, period_label=PERIOD if i % 4 else None,
            reason="because" if i % 5 == 0 else None,
        )  # fmt: skip
    db_session.flush()
    request.getfixturevalue("closing_sessions")
    login(chief.email)
    response = client.get("/audit/export.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == db_session.query(AuditEvent).count()
    exported = {(r["action"], r["entity_type"]) for r in rows if r["entity_id"].startswith("id-")}
    assert exported == set(kinds)
    shown = next(r for r in rows if r["entity_id"] == "id-10")
    assert (shown["department"], shown["period"]) == ("DMV", PERIOD)
    assert shown["after"] == '{"date": "2024-01-31"}'


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/strategies?channel=²", "channel"),
        (f"/strategies?channel={2**31}", "channel"),
        (f"/strategies?channel={2**63}", "channel"),
        ("/users?department=²", "department"),
        (f"/users?department={2**63}", "department"),
        (f"/users?department={2**64}", "department"),
    ],
)
def test_integer_filters_are_refused_naming_the_parameter(
    client: Any, login: Any, make_user: Any, path: str, parameter: str
) -> None:
    login(make_user("admin" if path.startswith("/users") else "chief").email)
    response = client.get(path)
    assert response.status_code == 400
    assert parameter in response.get_data(as_text=True)


def test_integer_filters_in_range_still_filter(
    client: Any, login: Any, make_user: Any, scope_world: World
) -> None:
    login(scope_world.users["chief"].email)
    assert client.get(f"/strategies?channel={MAX_INT}").status_code == 200
    assert client.get("/strategies?channel=%20").status_code == 200  # blank: no filter


@pytest.mark.parametrize("query", ["fiscal_year=%20", "department=%20", "quarter=%20"])
def test_a_blank_export_filter_means_no_filter(
    client: Any, scope_world: World, login: Any, query: str
) -> None:
    login(scope_world.users["chief"].email)
    response = client.get(f"/exports/observations.csv?{query}")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert all(code in text for code in scope_world.codes.values())  # both departments


@pytest.mark.parametrize(
    "path",
    [
        "/strategies/{big}", "/strategies/{big}/history", "/strategies/{big}/edit",
        "/users/{big}/edit", "/departments/{code}/services/{big}/edit",
        "/admin/departments/{code}/services/{big}/edit", "/strategies/{big}/cancel",
    ],
)  # fmt: skip
@pytest.mark.parametrize("big", [2**31, 2**63, 2**64, 10**30])
def test_path_ids_too_large_for_the_database_are_not_found(
    client: Any, scope_world: World, login: Any, path: str, big: int
) -> None:
    role = "admin" if "/users" in path or "/admin" in path else "chief"
    login(scope_world.users[role].email)
    response = client.get(path.format(big=big, code=scope_world.codes["A"]))
    assert response.status_code == 404
    largest = path.format(big=MAX_INT, code=scope_world.codes["A"])
    assert client.get(largest).status_code == 404  # in range: looked up, and not there


@pytest.mark.parametrize("body", ["[" * 100_000 + "]" * 100_000, '{"a":' * 50 + "1" + "}" * 50])
def test_deep_json_is_refused_naming_the_limit(app: Flask, scope_world: World, body: str) -> None:
    token = create_token(scope_world.users["chief"])
    response = app.test_client().post(
        "/api/v1/observations", data=body, content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )  # fmt: skip
    assert response.status_code == 400
    assert f"limit of {JSON_MAX_DEPTH} levels" in response.get_data(as_text=True)


@pytest.mark.parametrize("target", ["/\r\nSet-Cookie: a=1", "/strategies\nX: 1", "/%0d%0a"])
def test_cr_lf_in_next_is_not_followed_after_sign_in(
    client: Any, make_user: Any, target: str
) -> None:
    user = make_user("chief")
    token = csrf_token(client)
    response = client.post(
        "/sign-in", query_string={"next": target},
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
    )  # fmt: skip
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "\r" not in location and "\n" not in location
    if "%0d" not in target:
        assert location == "/"


def test_a_nul_in_a_parameter_is_refused_by_name(client: Any, login: Any, make_user: Any) -> None:
    login(make_user("chief").email)
    response = client.get("/strategies?department=A%00B")
    assert response.status_code == 400
    assert "department" in response.get_data(as_text=True)
    assert client.get("/departments/A%00B").status_code == 404


# Fault 5: what the officer of A read of department B.


@pytest.fixture
def officer(client: Any, scope_world: World) -> Any:
    user = scope_world.users["officer_a"]
    token = csrf_token(client)
    client.post("/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    return user


def test_officer_does_not_read_another_departments_history(
    client: Any, scope_world: World, officer: Any
) -> None:
    a, b = scope_world.codes["A"], scope_world.codes["B"]
    assert client.get(f"/departments/{a}/periods/{PERIOD}/history").status_code == 200
    assert client.get(f"/departments/{b}/periods/{PERIOD}/history").status_code == 403
    strategy = scope_world.strategy_ids["B"]
    assert client.get(f"/strategies/{strategy}/history").status_code == 403


def test_officer_does_not_read_another_departments_draft_plan(
    client: Any, scope_world: World, officer: Any
) -> None:
    a, b = scope_world.codes["A"], scope_world.codes["B"]
    assert client.get(f"/departments/{a}/plan/{PERIOD}").status_code == 200
    assert client.get(f"/departments/{b}/plan/{PERIOD}").status_code == 403
    assert client.get(f"/departments/{b}/plan", follow_redirects=True).status_code == 403


def test_officer_does_not_export_another_departments_observations(
    client: Any, scope_world: World, officer: Any
) -> None:
    a, b = scope_world.codes["A"], scope_world.codes["B"]
    assert client.get(f"/exports/observations.csv?department={b}").status_code == 403
    everything = client.get("/exports/observations.csv").get_data(as_text=True)
    assert a in everything and b not in everything
    strategies = client.get("/exports/strategies.csv").get_data(as_text=True)
    assert test_read_scope.TITLES["B"] not in strategies


def test_officer_does_not_read_another_departments_observations_through_the_api(
    app: Flask, scope_world: World
) -> None:
    headers = {"Authorization": f"Bearer {create_token(scope_world.users['officer_a'])}"}
    api = app.test_client()
    a, b = scope_world.codes["A"], scope_world.codes["B"]
    assert api.get(f"/api/v1/observations?department={b}", headers=headers).status_code == 403
    rows = api.get("/api/v1/observations", headers=headers).get_json()["items"]
    assert {row["department"] for row in rows} == {a}
    strategies = api.get("/api/v1/strategies", headers=headers).get_json()
    assert {row["department"] for row in strategies} == {a}


def test_officer_reads_every_departments_published_rollup_figures(
    app: Flask, scope_world: World
) -> None:
    headers = {"Authorization": f"Bearer {create_token(scope_world.users['officer_a'])}"}
    document = app.test_client().get(f"/api/v1/rollups/{PERIOD}", headers=headers).get_json()
    shown = {code for block in document["metrics"].values() for code in block["departments"]}
    assert shown == set(scope_world.codes.values())
