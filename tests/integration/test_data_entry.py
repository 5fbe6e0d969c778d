"""The data-entry grid: every bad cell named and nothing written, reds need a note, two
editors never overwrite each other silently, closed periods are locked, every save audited."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from cxprogram.core.fiscal import FiscalQuarter
from cxprogram.metrics import services as metric_services
from cxprogram.models import AuditEvent, Channel, Observation, Service
from tests.conftest import csrf_token

PERIOD = "FY2024-Q1"


@pytest.fixture
def setup(make_department: Any, db_session: Any) -> dict[str, Any]:
    metric_services.ensure_vocabularies()
    metrics = {m.code: m for m in metric_services.ensure_standard_metrics()}
    dmv = make_department("DMV")
    make_department("VA")
    service = Service(department=dmv, name="Licences", provider="Front office")
    db_session.add(service)
    period, _ = metric_services.ensure_period(FiscalQuarter(2024, 1), 10)
    previous, _ = metric_services.ensure_period(FiscalQuarter(2023, 4), 10)
    db_session.flush()
    return {"dept": dmv, "metrics": metrics, "service": service, "period": period,
            "previous": previous}  # fmt: skip


def url(code: str = "DMV", label: str = PERIOD) -> str:
    return f"/departments/{code}/periods/{label}/entry"


def new_key(metric: Any, service: Any = None, channel: Any = None) -> str:
    return f"n{metric.id}-{service.id if service else 0}-{channel.id if channel else 0}"


def post(client: Any, rows: dict[str, dict[str, str]], path: str | None = None) -> Any:
    path = path or url()
    data: dict[str, Any] = {"csrf_token": csrf_token(client, path), "row": list(rows)}
    for key, cells in rows.items():
        for field, value in cells.items():
            data[f"{key}-{field}"] = value
    return client.post(path, data=data)


def signed_in_client(app: Any, user: Any) -> Any:
    """A second browser, signed in as another person."""
    other = app.test_client()
    other.post("/sign-in", data={"email": user.email, "csrf_token": csrf_token(other),
                                 "password": "correct horse battery staple"})  # fmt: skip
    return other


def observations(db_session: Any) -> list[Observation]:
    db_session.expire_all()
    return list(db_session.scalars(select(Observation).order_by(Observation.id)))


def audit_count(db_session: Any) -> int:
    return int(db_session.scalar(select(func.count(AuditEvent.id))) or 0)


def test_grid_lists_every_reported_metric_with_labelled_inputs(
    client: Any, login: Any, make_user: Any, setup: dict[str, Any]
) -> None:
    login(make_user("officer", departments=("DMV",)).email)
    page = client.get(url()).get_data(as_text=True)
    for metric in setup["metrics"].values():
        assert f'for="{new_key(metric)}-value"' in page
        assert f"Value, {metric.name}, department level" in page
    assert ">Save</button>" in page and ">Add a row</button>" in page


def test_officer_saves_values_and_each_is_audited(
    client: Any, login: Any, make_user: Any, setup: dict[str, Any], db_session: Any
) -> None:
    officer = make_user("officer", departments=("DMV",))
    login(officer.email)
    sat, fcr = setup["metrics"]["satisfaction"], setup["metrics"]["first_contact_resolution"]
    response = post(client, {new_key(sat): {"value": "4.3", "n": "120", "note": ""},
                             new_key(fcr): {"value": "85", "n": "", "note": ""}})  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    saved = observations(db_session)
    assert [(o.metric.code, o.value, o.n) for o in saved] == [
        ("satisfaction", 4.3, 120.0), ("first_contact_resolution", 85.0, None)
    ]  # fmt: skip
    events = db_session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "observation")
    ).all()
    assert len(events) == 2
    assert {e.department_id for e in events} == {setup["dept"].id}
    assert {e.period_label for e in events} == {PERIOD}
    assert events[0].before is None and events[0].after["value"] == 4.3
    assert events[0].actor_id == officer.id


def test_every_bad_cell_is_named_and_nothing_is_written(
    client: Any, login: Any, make_user: Any, setup: dict[str, Any], db_session: Any
) -> None:
    login(make_user("officer", departments=("DMV",)).email)
    m = setup["metrics"]
    before = audit_count(db_session)
    response = post(client, {
        new_key(m["satisfaction"]): {"value": "abc", "n": "10", "note": ""},
        new_key(m["trust"]): {"value": "7", "n": "10", "note": ""},
        new_key(m["ease"]): {"value": "4.5", "n": "-3", "note": ""},
        new_key(m["employee"]): {"value": "4.5", "n": "20", "note": "fine"},
    })  # fmt: skip
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Nothing was saved: 3 cells to fix" in page
    assert "Satisfaction, department level, value: &#39;abc&#39; is not a number" in page
    assert "Trust/confidence, department level, value: 7 is outside the metric&#39;s scale" in page
    assert "Ease, department level, n: negative n" in page
    assert 'value="abc"' in page and 'value="-3"' in page  # what was typed is kept
    assert observations(db_session) == []
    assert audit_count(db_session) == before


def test_a_red_value_needs_an_explanation_note(
    client: Any, login: Any, make_user: Any, setup: dict[str, Any], db_session: Any
) -> None:
    login(make_user("officer", departments=("DMV",)).email)
    key = new_key(setup["metrics"]["speed_of_answer"])  # target 120 s, tolerance 30, lower
    response = post(client, {key: {"value": "300", "n": "50", "note": ""}})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "is red against the target (120): explain it in the note" in page
    assert observations(db_session) == []
    response = post(client, {key: {"value": "300", "n": "50", "note": "Phone outage in May."}})
    assert response.status_code == 302
    [obs] = observations(db_session)
    assert obs.note == "Phone outage in May."
    page = client.get(url()).get_data(as_text=True)
    assert '<span class="cx-status cx-status--red">red</span>' in page


def test_status_and_previous_period_are_shown(
    client: Any, login: Any, make_user: Any, setup: dict[str, Any], db_session: Any
) -> None:
    sat = setup["metrics"]["satisfaction"]
    for period, value in ((setup["previous"], 3.9), (setup["period"], 4.1)):
        db_session.add(Observation(department=setup["dept"], metric=sat, period=period,
                                   value=value, n=10.0))  # fmt: skip
    db_session.flush()
    login(make_user("officer", departments=("DMV",)).email)
    page = client.get(url()).get_data(as_text=True)
    assert "Previous period (FY2023-Q4)" in page  # the column says what it holds
    assert "<td>3.90</td>" in page  # at the metric's precision: two decimals on 1 to 5
    assert '<span class="cx-status cx-status--green">green</span>' in page


def test_officer_adds_a_row_for_a_service_and_channel(
    client: Any, login: Any, make_user: Any, setup: dict[str, Any], db_session: Any
) -> None:
    login(make_user("officer", departments=("DMV",)).email)
    sat, service = setup["metrics"]["satisfaction"], setup["service"]
    web = db_session.scalar(select(Channel).where(Channel.code == "web"))
    service.channels.append(web)
    db_session.flush()
    key = new_key(sat, None, web)  # the department as a whole, on the web: the unusual case
    page = client.get(url() + f"?metric={sat.id}&service=0&channel={web.id}")
    assert "Value, Satisfaction, department level, Web" in page.get_data(as_text=True)
    response = post(client, {key: {"value": "4.4", "n": "30", "note": ""}})
    assert response.status_code == 302
    [obs] = observations(db_session)
    assert (obs.service_id, obs.channel_id, obs.value) == (None, web.id, 4.4)
    assert f"o{obs.id}-value" in client.get(url()).get_data(as_text=True)


def test_second_editor_is_refused_and_sees_the_first_save(
    app: Any, client: Any, login: Any, make_user: Any, setup: dict[str, Any], db_session: Any
) -> None:
    sat = setup["metrics"]["satisfaction"]
    obs = Observation(department=setup["dept"], metric=sat, period=setup["period"],
                      value=4.0, n=10.0)  # fmt: skip
    db_session.add(obs)
    db_session.flush()
    key = f"o{obs.id}"
    login(make_user("officer", departments=("DMV",)).email)
    chief_client = signed_in_client(app, make_user("chief"))
    # Both opened the grid at version 1; the chief saves first.
    first = post(chief_client, {key: {"value": "4.6", "n": "10", "note": "", "version": "1"}})
    assert first.status_code == 302
    before = audit_count(db_session)
    second = post(client, {key: {"value": "3.5", "n": "12", "note": "late batch",
                                 "version": "1"}})  # fmt: skip
    assert second.status_code == 409
    page = second.get_data(as_text=True)
    assert "Someone else saved 1 of these values" in page
    assert "value 4.6, n 10.0" in page  # theirs, shown
    assert 'value="3.5"' in page and 'value="late batch"' in page  # mine, kept
    assert f'name="{key}-version" value="2"' in page  # saving again is a knowing overwrite
    [stored] = observations(db_session)
    assert (stored.value, stored.version) == (4.6, 2)
    assert audit_count(db_session) == before


def test_two_editors_creating_the_same_cell_conflict(
    app: Any, client: Any, login: Any, make_user: Any, setup: dict[str, Any], db_session: Any
) -> None:
    key = new_key(setup["metrics"]["ease"])
    login(make_user("officer", departments=("DMV",)).email)
    chief_client = signed_in_client(app, make_user("chief"))
    assert post(chief_client, {key: {"value": "4.2", "n": "", "note": ""}}).status_code == 302
    second = post(client, {key: {"value": "3.1", "n": "", "note": "why"}})
    assert second.status_code == 409
    assert "value 4.2" in second.get_data(as_text=True)
    assert [o.value for o in observations(db_session)] == [4.2]


def test_officer_cannot_touch_another_departments_grid(
    client: Any, login: Any, make_user: Any, setup: dict[str, Any], db_session: Any
) -> None:
    login(make_user("officer", departments=("DMV",)).email)
    assert client.get(url("VA")).status_code == 403
    key = new_key(setup["metrics"]["satisfaction"])
    response = post(client, {key: {"value": "4", "n": "", "note": ""}}, path=url("VA"))
    assert response.status_code == 403
    assert observations(db_session) == []


def test_admins_cannot_enter_or_read_values(
    client: Any, login: Any, make_user: Any, setup: dict[str, Any]
) -> None:
    login(make_user("admin").email)
    assert client.get(url()).status_code == 403


def test_unknown_period_or_department_is_404(
    client: Any, login: Any, make_user: Any, setup: dict[str, Any]
) -> None:
    login(make_user("chief").email)
    assert client.get(url(label="FY1999-Q1")).status_code == 404
    assert client.get(url(code="NOPE")).status_code == 404


def test_a_row_left_alone_keeps_the_other_editors_value(
    app: Any, client: Any, login: Any, make_user: Any, setup: dict[str, Any], db_session: Any
) -> None:
    sat, trust = setup["metrics"]["satisfaction"], setup["metrics"]["trust"]
    for metric in (sat, trust):
        db_session.add(Observation(department=setup["dept"], metric=metric,
                                   period=setup["period"], value=4.0, n=10.0))  # fmt: skip
    db_session.flush()
    a, b = (f"o{o.id}" for o in observations(db_session))
    login(make_user("officer", departments=("DMV",)).email)
    chief_client = signed_in_client(app, make_user("chief"))
    assert post(chief_client, {a: {"value": "4.6", "n": "10", "note": "", "version": "1"}}
                ).status_code == 302  # fmt: skip
    was = '["4", "10", ""]'
    # The officer's page still shows A as 4 (untouched) and changes B.
    response = post(client, {
        a: {"value": "4", "n": "10", "note": "", "version": "1", "was": was},
        b: {"value": "4.4", "n": "10", "note": "", "version": "1", "was": was},
    })  # fmt: skip
    assert response.status_code == 302
    assert [o.value for o in observations(db_session)] == [4.6, 4.4]
    # Had the officer typed into A, the save would be refused and nothing written.
    response = post(client, {
        a: {"value": "3.9", "n": "10", "note": "", "version": "1", "was": was},
        b: {"value": "4.1", "n": "10", "note": "", "version": "2", "was": '["4.4", "10", ""]'},
    })  # fmt: skip
    assert response.status_code == 409
    assert [o.value for o in observations(db_session)] == [4.6, 4.4]
