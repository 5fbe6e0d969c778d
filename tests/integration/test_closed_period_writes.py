"""A closed period is locked for everyone, whichever way a write comes in: the grid, the
observations import (command and web confirmation), POST /api/v1/observations and the A-11
import each refuse it with a reason that names the period, and write nothing (the
observations keep their values, no audit event is added)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from cxprogram.auth.tokens import create_token
from cxprogram.core.fiscal import FiscalQuarter
from cxprogram.imports.framework import apply_plan, plan_file
from cxprogram.imports.observations import observation_importer
from cxprogram.imports.uploads import stash_upload
from cxprogram.metrics import services as metric_services
from cxprogram.metrics.models import PeriodState, Source
from cxprogram.models import AuditEvent, Observation
from cxprogram.org import services as org_services
from tests.conftest import csrf_token

CLOSED = "FY2021-Q2"
REASON = f"{CLOSED} is closed"
A11_HEADER = (
    "id,organization_name,organization_abbreviation,service_provider_name,service_name,"
    "collection_year,collection_quarter,channel,"
    + ",".join(f"q{q}_{k}" for q in range(1, 8) for k in range(1, 6))
)


def _a11_file(path: Path, satisfaction: str) -> Path:
    """One record of VA in FY2021-Q2 (fiscal year 2021, quarter 2), answers to q1 only."""
    counts = satisfaction + ",0,0,0,0,0" * 6
    path.write_text(f"{A11_HEADER}\nr1,Veterans Affairs,VA,VBA,Benefits,2021,2,digital,{counts}\n")
    return path


@pytest.fixture
def org(db_session: Any, make_department: Any, make_user: Any) -> dict[str, Any]:
    """VA with one stored value in FY2021-Q2, which is then closed; FY2023-Q1 stays open.
    Committed, so that the refused write's rollback keeps it."""
    org_services.ensure_settings("Test org")
    metric_services.ensure_vocabularies()
    metrics = {m.code: m for m in metric_services.ensure_standard_metrics()}
    va = make_department("VA")
    closed, _ = metric_services.ensure_period(FiscalQuarter(2021, 2), 10)
    metric_services.ensure_period(FiscalQuarter(2023, 1), 10)
    stored = Observation(department=va, metric=metrics["satisfaction"], period=closed,
                         value=4.0, n=10.0, source=Source.IMPORT)  # fmt: skip
    db_session.add(stored)
    officer = make_user("officer", departments=("VA",))
    closed.state = PeriodState.CLOSED
    db_session.commit()
    return {"va": va, "period": closed, "stored": stored, "officer": officer,
            "metrics": metrics}  # fmt: skip


def _state(db_session: Any) -> tuple[list[tuple[Any, ...]], int]:
    """Every observation's values and version, and the number of audit events."""
    db_session.expire_all()
    rows = db_session.execute(
        select(Observation.id, Observation.value, Observation.n, Observation.note,
               Observation.distribution, Observation.version).order_by(Observation.id)
    ).all()  # fmt: skip
    return [tuple(r) for r in rows], int(db_session.scalar(select(func.count(AuditEvent.id))))


def test_grid_post_on_a_closed_period_is_refused(
    org: dict[str, Any], client: Any, login: Any, db_session: Any
) -> None:
    login(org["officer"].email)
    path = f"/departments/VA/periods/{CLOSED}/entry"
    token = csrf_token(client, path)
    trust = org["metrics"]["trust"]
    new = f"n{trust.id}-0-0"
    old = f"o{org['stored'].id}"
    before = _state(db_session)
    response = client.post(path, data={
        "csrf_token": token, "row": [old, new],
        f"{old}-value": "4.5", f"{old}-n": "10", f"{old}-note": "", f"{old}-version": "1",
        f"{new}-value": "3.9", f"{new}-n": "12", f"{new}-note": "",
    })  # fmt: skip
    assert response.status_code == 409
    assert REASON in response.get_data(as_text=True)
    assert _state(db_session) == before


def test_import_command_on_a_closed_period_is_refused(
    org: dict[str, Any], app: Any, runner: Any, db_session: Any, tmp_path: Path
) -> None:
    path = tmp_path / "obs.csv"
    path.write_text(f"department,metric,period,value,n\nVA,satisfaction,{CLOSED},4.5,10\n"
                    f"VA,trust,{CLOSED},3.9,12\n")  # fmt: skip
    before = _state(db_session)
    with app.app_context():
        result = runner.invoke(args=["import", "observations", str(path)])
    assert result.exit_code == 1
    assert f"period {CLOSED} is closed" in result.output
    assert "nothing imported" in result.output
    assert _state(db_session) == before


def test_web_import_confirmation_on_a_closed_period_is_refused(
    org: dict[str, Any], client: Any, login: Any, db_session: Any
) -> None:
    login(org["officer"].email)
    content = f"department,metric,period,value,n\nVA,satisfaction,{CLOSED},4.5,10\n".encode()
    token = stash_upload(org["officer"], "observations", "obs.csv", content)
    db_session.commit()
    url = f"/imports/observations/{token}"
    form_token = csrf_token(client, url)
    before = _state(db_session)
    response = client.post(url, data={"csrf_token": form_token})
    assert response.status_code == 422
    assert f"period {CLOSED} is closed" in response.get_data(as_text=True)
    assert _state(db_session) == before


def test_a_period_closed_after_planning_is_refused_by_the_write(
    org: dict[str, Any], db_session: Any
) -> None:
    """The lock is the write service's, not only the preview's: a plan made while the
    period was open is refused once it is closed."""
    org["period"].state = PeriodState.OPEN
    db_session.commit()
    content = f"department,metric,period,value,n\nVA,satisfaction,{CLOSED},4.5,10\n".encode()
    plan = plan_file(observation_importer(), "obs.csv", content, None, 10_000_000)
    assert plan.is_valid and plan.count("change") == 1
    org["period"].state = PeriodState.CLOSED
    db_session.commit()
    before = _state(db_session)
    with pytest.raises(metric_services.PeriodClosedError, match=REASON):
        apply_plan(observation_importer(), plan, None)
    db_session.rollback()
    assert _state(db_session) == before


def test_api_post_on_a_closed_period_is_refused(
    org: dict[str, Any], client: Any, db_session: Any
) -> None:
    body = [{"department": "VA", "metric": "satisfaction", "period": CLOSED, "value": 4.5,
             "n": 10}]  # fmt: skip
    headers = {"Authorization": f"Bearer {create_token(org['officer'])}"}
    db_session.commit()
    before = _state(db_session)
    response = client.post("/api/v1/observations", json=body, headers=headers)
    assert response.status_code == 422
    reasons = [e["reason"] for e in response.get_json()["errors"]]
    assert reasons == [f"period {CLOSED} is closed; a chief must reopen it first"]
    assert _state(db_session) == before


def test_a11_import_on_a_closed_period_is_refused(
    org: dict[str, Any], app: Any, runner: Any, db_session: Any, tmp_path: Path
) -> None:
    org["period"].state = PeriodState.OPEN
    db_session.commit()
    with app.app_context():
        first = runner.invoke(
            args=["import", "a11", str(_a11_file(tmp_path / "a.csv", "0,0,1,2,7"))]
        )
    assert first.exit_code == 0, first.output
    satisfaction = org["metrics"]["satisfaction"].id
    imported = db_session.scalar(
        select(Observation.value).where(Observation.import_key == "a11:r1",
                                        Observation.metric_id == satisfaction)
    )  # fmt: skip
    assert imported == pytest.approx(4.6)
    org["period"].state = PeriodState.CLOSED
    db_session.commit()
    before = _state(db_session)
    with app.app_context():
        again = runner.invoke(
            args=["import", "a11", str(_a11_file(tmp_path / "b.csv", "5,0,0,0,5"))]
        )
    assert again.exit_code == 1
    assert REASON in again.output and "nothing imported" in again.output
    assert _state(db_session) == before


OPEN = "FY2023-Q1"


def test_every_entry_audits_observations_by_name(
    org: dict[str, Any],
    client: Any,
    login: Any,
    app: Any,
    runner: Any,
    db_session: Any,
    tmp_path: Path,
) -> None:
    """The one audit shape names the metric (and service, channel) as a person reads them in
    the history, whether the grid (one event per observation) or an import wrote it."""
    login(org["officer"].email)
    path = f"/departments/VA/periods/{OPEN}/entry"
    token = csrf_token(client, path)
    new = f"n{org['metrics']['trust'].id}-0-0"
    response = client.post(path, data={
        "csrf_token": token, "row": [new],
        f"{new}-value": "3.9", f"{new}-n": "12", f"{new}-note": "",
    })  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)
    grid_event = db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "create", AuditEvent.entity_type == "observation"
        )
    ).one()
    assert grid_event.after["metric"] == "trust"
    assert (grid_event.after["service"], grid_event.after["channel"]) == (None, None)
    history = client.get(f"/departments/VA/periods/{OPEN}/history").get_data(as_text=True)
    assert "entered Trust/confidence, VA: 3.90 (n = 12)." in history

    csv = tmp_path / "obs.csv"
    csv.write_text(f"department,metric,period,value,n\nVA,satisfaction,{OPEN},4.5,10\n")
    with app.app_context():
        result = runner.invoke(args=["import", "observations", str(csv)])
    assert result.exit_code == 0, result.output
    db_session.expire_all()
    imported = db_session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "observations")
    ).one()
    assert [row["metric"] for row in imported.after["added"]] == ["satisfaction"]
