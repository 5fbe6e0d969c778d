"""The metric catalog: everyone reads it; the chief edits standard metrics, an officer adds and
edits metrics owned by their department; stale saves are refused (409); every save audited."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from cxprogram.metrics import services as metric_services
from cxprogram.models import AuditEvent, MetricDefinition
from tests.conftest import csrf_token

FIELDS = {
    "name": "Callback wait", "description": "Minutes until the call-back.", "kind": "operational",
    "unit": "minutes", "direction": "lower", "aggregation": "mean", "weighting": "equal",
    "target": "30", "tolerance": "10", "driver": "", "scale_min": "0", "scale_max": "1440",
}  # fmt: skip


@pytest.fixture
def catalog(make_department: Any, db_session: Any) -> dict[str, Any]:
    metrics = {m.code: m for m in metric_services.ensure_standard_metrics()}
    dmv, va = make_department("DMV"), make_department("VA")
    own = MetricDefinition(code="va_wait", name="VA wait", kind="operational", unit="days",
                           aggregation="mean", owner_department=va)  # fmt: skip
    db_session.add(own)
    db_session.flush()
    return {"metrics": metrics, "dmv": dmv, "va": va, "own": own}


def save(client: Any, path: str, data: dict[str, str]) -> Any:
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/metrics")})


def edit_data(metric: Any, **changes: str) -> dict[str, str]:
    state = metric_services.metric_state(metric)
    data = {k: "" if state[k] is None else str(state[k]) for k in metric_services.METRIC_FIELDS}
    return {**data, "version": str(metric.version), **changes}


def test_chief_edits_a_standard_metric_and_it_is_audited(
    client: Any, login: Any, make_user: Any, catalog: dict[str, Any], db_session: Any
) -> None:
    login(make_user("chief").email)
    sat = catalog["metrics"]["satisfaction"]
    assert client.get("/metrics/satisfaction/edit").status_code == 200
    response = save(
        client, "/metrics/satisfaction/edit", edit_data(sat, target="4.2", tolerance="0.3")
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    db_session.expire_all()
    assert (sat.target, sat.tolerance, sat.version) == (4.2, 0.3, 2)
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "metric")).one()
    assert (event.before["target"], event.after["target"]) == (4.0, 4.2)


def test_everyone_reads_the_catalog_and_only_editors_see_edit_links(
    client: Any, login: Any, make_user: Any, catalog: dict[str, Any]
) -> None:
    login(make_user("viewer").email)
    page = client.get("/metrics").get_data(as_text=True)
    assert "satisfaction" in page and "va_wait" in page
    assert "/edit" not in page and "/metrics/new" not in page


def test_officer_adds_and_edits_a_metric_of_their_department(
    client: Any, login: Any, make_user: Any, catalog: dict[str, Any], db_session: Any
) -> None:
    login(make_user("officer", departments=("DMV",)).email)
    page = client.get("/metrics").get_data(as_text=True)
    assert "/metrics/new" in page and "/metrics/satisfaction/edit" not in page
    owner = str(catalog["dmv"].id)
    response = save(client, "/metrics/new", {**FIELDS, "code": "callback_wait", "owner": owner})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    metric = db_session.scalars(
        select(MetricDefinition).where(MetricDefinition.code == "callback_wait")
    ).one()
    assert (metric.owner_department_id, metric.target, metric.unit.value) == (
        catalog["dmv"].id, 30.0, "minutes")  # fmt: skip
    response = save(client, "/metrics/callback_wait/edit", edit_data(metric, target="20"))
    assert response.status_code == 302
    actions = db_session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity_type == "metric")
    ).all()
    assert actions == ["create", "update"]
    # Another department cannot be chosen as the owner.
    va = str(catalog["va"].id)
    refused = save(client, "/metrics/new", {**FIELDS, "code": "other_wait", "owner": va})
    assert refused.status_code == 200 and "Not a valid choice" in refused.get_data(as_text=True)


def test_officer_cannot_edit_standard_or_other_departments_metrics(
    client: Any, login: Any, make_user: Any, catalog: dict[str, Any], db_session: Any
) -> None:
    login(make_user("officer", departments=("DMV",)).email)
    assert client.get("/metrics/satisfaction/edit").status_code == 403
    sat = catalog["metrics"]["satisfaction"]
    assert save(client, "/metrics/satisfaction/edit", edit_data(sat, target="1")).status_code == 403
    assert client.get("/metrics/va_wait/edit").status_code == 403
    db_session.expire_all()
    assert sat.target == 4.0


@pytest.mark.parametrize("role", ["viewer", "admin"])
def test_viewers_and_admins_cannot_add_metrics(
    client: Any, login: Any, make_user: Any, catalog: dict[str, Any], role: str
) -> None:
    login(make_user(role).email)
    assert client.get("/metrics/new").status_code == 403


def test_bad_definitions_are_refused_with_the_reason(
    client: Any, login: Any, make_user: Any, catalog: dict[str, Any]
) -> None:
    login(make_user("chief").email)
    duplicate = save(client, "/metrics/new", {**FIELDS, "code": "satisfaction", "owner": "0"})
    assert duplicate.status_code == 422
    assert "A metric with the code satisfaction already exists" in duplicate.get_data(as_text=True)
    bad = save(client, "/metrics/new", {**FIELDS, "code": "Bad Code", "owner": "0",
                                        "scale_max": "-1", "tolerance": "-2"})  # fmt: skip
    page = bad.get_data(as_text=True)
    assert "Use lower-case letters" in page
    assert "Must be greater than the scale minimum" in page
    assert "Cannot be negative" in page


def test_second_editor_of_a_metric_gets_409_and_keeps_their_text(
    app: Any, client: Any, login: Any, make_user: Any, catalog: dict[str, Any], db_session: Any
) -> None:
    sat = catalog["metrics"]["satisfaction"]
    stale = edit_data(sat, name="Overall satisfaction (mine)")
    login(make_user("chief").email)
    other = app.test_client()
    other_chief = make_user("chief")
    other.post("/sign-in", data={"email": other_chief.email, "csrf_token": csrf_token(other),
                                 "password": "correct horse battery staple"})  # fmt: skip
    assert (
        save(other, "/metrics/satisfaction/edit", edit_data(sat, name="Theirs")).status_code == 302
    )
    conflict = save(client, "/metrics/satisfaction/edit", stale)
    assert conflict.status_code == 409
    page = conflict.get_data(as_text=True)
    assert "Someone else saved this metric" in page
    assert "Name: Theirs" in page
    assert 'value="Overall satisfaction (mine)"' in page
    db_session.expire_all()
    assert sat.name == "Theirs"
