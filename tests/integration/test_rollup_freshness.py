"""Freshness: the rollup answer says when its snapshot was computed and whether newer data
waits; the scheduler's refresh-rollups job recomputes exactly the open periods whose inputs
changed, within one run; the chief's "Recompute now"."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from flask import Flask, render_template_string
from sqlalchemy import func, select

from cxprogram.auth.tokens import create_token
from cxprogram.metrics.models import PeriodState, ReportingPeriod
from cxprogram.models import AuditEvent
from cxprogram.rollup import services
from cxprogram.rollup.freshness import freshness
from cxprogram.rollup.jobs import run_job, run_rollup_refresh
from cxprogram.rollup.models import RollupSnapshot
from cxprogram.rollup.scheduler import job_by_id
from tests.conftest import PASSWORD, csrf_token

OPEN, EARLIER = "FY2023-Q1", "FY2022-Q4"
NOTE = '{% from "rollup/_freshness.html" import snapshot_note %}{{ snapshot_note(d, c, n) }}'


@pytest.fixture
def org(
    make_settings: Any,
    make_metrics: Any,
    make_department: Any,
    make_period: Any,
    make_observation: Any,
) -> dict[str, Any]:
    """Two departments, two metrics, two open quarters with data."""
    make_settings()
    metrics = make_metrics("satisfaction", "trust")
    depts = [make_department("VA"), make_department("DOS")]
    periods = {label: make_period(label) for label in (EARLIER, OPEN)}
    for k, period in enumerate(periods.values()):
        for j, dept in enumerate(depts):
            for metric in metrics.values():
                make_observation(dept, metric, period, 3.5 + k / 10 + j / 7, n=40.0 + j)
    return {"metrics": metrics, "depts": depts, "periods": periods}


def _refresh(app: Flask) -> int:
    spec = job_by_id("refresh-rollups")
    return run_job(app, spec.id, spec.body, lock=spec.lock)


def _versions(db_session: Any, label: str) -> list[int]:
    query = (
        select(RollupSnapshot.version)
        .join(ReportingPeriod, ReportingPeriod.id == RollupSnapshot.period_id)
        .where(ReportingPeriod.label == label)
        .order_by(RollupSnapshot.version)
    )
    return list(db_session.scalars(query))


def _rollup(client: Any, token: str, label: str = OPEN) -> dict[str, Any]:
    answer = client.get(f"/api/v1/rollups/{label}", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()["snapshot"]  # type: ignore[no-any-return]


def login_as(client: Any, user: Any) -> None:
    """Sign a test client in through the sign-in form."""
    client.post("/sign-in", data={"email": user.email, "password": PASSWORD,
                                  "csrf_token": csrf_token(client)})  # fmt: skip


def _save(client: Any, user: Any, value: float, label: str = OPEN) -> None:
    item = {"department": "VA", "metric": "satisfaction", "period": label, "value": value,
            "n": 50}  # fmt: skip
    headers = {"Authorization": f"Bearer {create_token(user)}"}
    answer = client.post("/api/v1/observations", json=[item], headers=headers)
    assert answer.status_code == 201, answer.get_json()


def _note(app: Flask, document: dict[str, Any], can_recompute: bool) -> str:
    with app.test_request_context("/"):
        return render_template_string(NOTE, d=document, c=can_recompute, n="/metrics")


def test_saved_observation_waits_until_one_run_of_the_refresh_job(
    app: Flask, org: dict[str, Any], client: Any, make_user: Any, db_session: Any
) -> None:
    assert _refresh(app) == 2  # no snapshot yet: both open periods are rolled up
    token = create_token(make_user("chief"))
    first = _rollup(client, token)
    assert first["version"] == 1 and first["newer_data_waits"] is False
    assert first["data_changed_at"] is None
    assert _refresh(app) == 0  # unchanged: the job stores nothing
    assert _versions(db_session, OPEN) == [1]

    _save(client, make_user("officer", departments=("VA",)), 4.9)
    waiting = _rollup(client, token)
    assert waiting["version"] == 1 and waiting["newer_data_waits"] is True
    changed_at = datetime.fromisoformat(waiting["data_changed_at"])
    assert changed_at > datetime.fromisoformat(waiting["computed_at"])
    assert _rollup(client, token, EARLIER)["newer_data_waits"] is False  # a later period's data
    chief = app.test_client()
    login_as(chief, make_user("chief"))
    page = chief.get(f"/dashboard?period={OPEN}").get_data(as_text=True)
    assert "Newer data waits:" in page and "(version 1)" in page  # the dashboard says so

    assert _refresh(app) == 1  # that period only
    page = chief.get(f"/dashboard?period={OPEN}").get_data(as_text=True)
    assert "Newer data waits:" not in page and "(version 2)" in page
    fresh = _rollup(client, token)
    assert fresh["version"] == 2 and fresh["newer_data_waits"] is False
    assert fresh["data_changed_at"] is None
    assert datetime.fromisoformat(fresh["computed_at"]) >= changed_at
    assert _refresh(app) == 0 and _versions(db_session, OPEN) == [1, 2]  # idempotent
    assert _versions(db_session, EARLIER) == [1]


def test_an_earlier_periods_data_and_a_metrics_settings_are_inputs_too(
    app: Flask, org: dict[str, Any], client: Any, make_user: Any, db_session: Any
) -> None:
    _refresh(app)
    token = create_token(make_user("chief"))
    _save(client, make_user("officer", departments=("VA",)), 2.1, label=EARLIER)
    assert _rollup(client, token)["newer_data_waits"] is True  # its series and effects
    assert _refresh(app) == 2
    assert _versions(db_session, OPEN) == [1, 2] == _versions(db_session, EARLIER)

    org["metrics"]["trust"].tolerance = 0.01  # no observation moves: the inputs hash does
    db_session.flush()
    waiting = _rollup(client, token)
    assert waiting["newer_data_waits"] is True and waiting["data_changed_at"] is None
    assert _refresh(app) == 2
    assert _rollup(client, token)["newer_data_waits"] is False


def test_the_note_says_when_and_offers_recompute_only_to_those_who_may(
    app: Flask, org: dict[str, Any], client: Any, make_user: Any
) -> None:
    _refresh(app)
    token = create_token(make_user("chief"))
    document = {"period": OPEN, "snapshot": _rollup(client, token)}
    current = _note(app, document, True)
    assert "Rollup of <strong>FY2023-Q1</strong>" in current and "(version 1)" in current
    assert "No newer data waits" in current and "Recompute now" not in current
    assert document["snapshot"]["computed_at"][:10] in current

    _save(client, make_user("officer", departments=("VA",)), 4.9)
    document = {"period": OPEN, "snapshot": _rollup(client, token)}
    waiting = _note(app, document, True)
    assert "Newer data waits:" in waiting and "usa-alert--warning" in waiting
    assert 'action="/rollups/FY2023-Q1/recompute"' in waiting
    assert 'name="next" value="/metrics"' in waiting and "Recompute now" in waiting
    assert "Recompute now" not in _note(app, document, False)  # an officer's or viewer's page


def test_recompute_now_as_chief_then_already_current(
    app: Flask, org: dict[str, Any], client: Any, login: Any, make_user: Any, db_session: Any
) -> None:
    _refresh(app)
    _save(client, make_user("officer", departments=("VA",)), 4.9)
    chief = make_user("chief")
    login(chief.email)
    form = {"csrf_token": csrf_token(client, "/"), "next": "/metrics?period=FY2023-Q1"}
    answer = client.post(f"/rollups/{OPEN}/recompute", data=form)
    assert answer.status_code == 302 and answer.headers["Location"] == form["next"]
    assert _versions(db_session, OPEN) == [1, 2]
    assert "Recomputed the rollup of FY2023-Q1: version 2." in _flashes(client)
    event = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "recompute", AuditEvent.actor_id == chief.id)
    ).one()
    assert event.period_label == OPEN and event.after == {"version": 2, "is_new": True}

    again = client.post(f"/rollups/{OPEN}/recompute", data={**form, "next": "//evil.example/"})
    assert again.status_code == 302 and again.headers["Location"] == "/"  # not off-site
    assert "already current (version 2)" in _flashes(client)
    assert _versions(db_session, OPEN) == [1, 2]


def _flashes(client: Any) -> str:
    page = client.get("/").get_data(as_text=True)
    return re.sub(r"\s+", " ", page)


@pytest.mark.parametrize("target", ["https://evil.example/x", "/\\evil.example", "metrics"])
def test_recompute_goes_back_only_to_a_local_path(
    app: Flask, org: dict[str, Any], client: Any, login: Any, make_user: Any, target: str
) -> None:
    _refresh(app)
    login(make_user("admin").email)  # administrators may recompute too
    form = {"csrf_token": csrf_token(client, "/"), "next": target}
    answer = client.post(f"/rollups/{OPEN}/recompute", data=form)
    assert answer.status_code == 302 and answer.headers["Location"] == "/"


def test_recompute_refused_to_officers_without_csrf_and_for_odd_periods(
    app: Flask, org: dict[str, Any], client: Any, login: Any, make_user: Any, db_session: Any
) -> None:
    _refresh(app)
    _save(client, make_user("officer", departments=("VA",)), 4.9)
    for role in ("officer", "viewer"):
        login(make_user(role, departments=("VA",)).email)
        token = csrf_token(client, "/")
        refused = client.post(f"/rollups/{OPEN}/recompute", data={"csrf_token": token})
        assert refused.status_code == 403, role
        client.post("/sign-out", data={"csrf_token": token})
    login(make_user("chief").email)
    assert client.post(f"/rollups/{OPEN}/recompute", data={}).status_code == 400  # no CSRF
    assert client.post(f"/rollups/{OPEN}/recompute", data={"csrf_token": "x"}).status_code == 400
    assert _versions(db_session, OPEN) == [1]  # nothing recomputed by any of them
    token = csrf_token(client, "/")
    for odd in ("FY2099-Q1", "nonsense", "FY0000-Q9", "%00"):
        assert (
            client.post(f"/rollups/{odd}/recompute", data={"csrf_token": token}).status_code == 404
        )


def test_closed_periods_are_left_to_quarter_close(
    app: Flask, org: dict[str, Any], client: Any, make_user: Any, db_session: Any
) -> None:
    _refresh(app)
    earlier = org["periods"][EARLIER]
    earlier.state = PeriodState.CLOSED  # closed after its (open) snapshot: not final yet
    db_session.flush()
    org["metrics"]["satisfaction"].tolerance = 0.05
    db_session.flush()
    assert freshness(earlier).newer_data_waits is True  # quarter-close will store the final
    assert _refresh(app) == 1  # the open period only
    assert _versions(db_session, EARLIER) == [1] and _versions(db_session, OPEN) == [1, 2]
    assert run_job(app, "quarter-close", job_by_id("quarter-close").body, lock="rollups") == 1
    final = freshness(earlier)
    assert final.newer_data_waits is False and final.version == 2  # final: kept as it is
    org["metrics"]["satisfaction"].tolerance = 0.5
    db_session.flush()
    assert freshness(earlier).newer_data_waits is False
    assert _refresh(app) == 1 and _versions(db_session, EARLIER) == [1, 2]


def test_a_failed_refresh_keeps_the_previous_snapshot(
    app: Flask, org: dict[str, Any], client: Any, make_user: Any, db_session: Any, monkeypatch: Any
) -> None:
    _refresh(app)
    _save(client, make_user("officer", departments=("VA",)), 4.9)

    def broken(inputs: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "compose_rollup", broken)
    with pytest.raises(RuntimeError):
        run_job(app, "refresh-rollups", run_rollup_refresh, lock=services.ROLLUP_LOCK)
    assert _versions(db_session, OPEN) == [1]
    token = create_token(make_user("chief"))
    assert _rollup(client, token)["newer_data_waits"] is True  # still says so
    monkeypatch.undo()
    assert _refresh(app) == 1
    count = db_session.scalar(select(func.count(RollupSnapshot.id)))
    assert count == 3  # v1 of both periods, v2 of the open one
