"""Periods: the chief closes a period (values locked for everyone) and reopens it with a
reason; both are audited with the reason; officers cannot close or reopen."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from cxprogram.core.fiscal import FiscalQuarter
from cxprogram.metrics import services as metric_services
from cxprogram.models import AuditEvent, Observation, ReportingPeriod
from tests.conftest import csrf_token

LABEL = "FY2024-Q1"


@pytest.fixture
def period(make_department: Any, db_session: Any) -> ReportingPeriod:
    metric_services.ensure_standard_metrics()
    make_department("DMV")
    created, _ = metric_services.ensure_period(FiscalQuarter(2024, 1), 10)
    db_session.flush()
    return created


def grid_post(client: Any, metric_id: int, value: str, note: str = "") -> Any:
    path = f"/departments/DMV/periods/{LABEL}/entry"
    key = f"n{metric_id}-0-0"
    return client.post(path, data={"csrf_token": csrf_token(client, "/periods"), "row": key,
                                   f"{key}-value": value, f"{key}-note": note})  # fmt: skip


def act(client: Any, verb: str, reason: str = "") -> Any:
    data = {"csrf_token": csrf_token(client, "/periods"), "reason": reason}
    return client.post(f"/periods/{LABEL}/{verb}", data=data)


def events(db_session: Any) -> list[AuditEvent]:
    db_session.expire_all()
    query = select(AuditEvent).where(AuditEvent.entity_type == "period").order_by(AuditEvent.id)
    return list(db_session.scalars(query))


def test_periods_page_lists_dates_due_date_and_state(
    client: Any, login: Any, make_user: Any, period: ReportingPeriod
) -> None:
    login(make_user("viewer").email)
    page = client.get("/periods").get_data(as_text=True)
    assert "FY2024-Q1" in page and "2023-10-01" in page and "2023-12-31" in page
    assert "2024-01-30" in page  # due: quarter end + 30 days
    assert "Close FY2024-Q1" not in page  # only the chief acts


def test_closed_period_locks_values_until_the_chief_reopens_it_with_a_reason(
    client: Any, app: Any, login: Any, make_user: Any, period: ReportingPeriod, db_session: Any
) -> None:
    chief = make_user("chief")
    login(chief.email)
    assert act(client, "close", "Quarter final.").status_code == 302
    assert period.is_closed
    officer_client = app.test_client()
    officer = make_user("officer", departments=("DMV",))
    officer_client.post("/sign-in", data={"email": officer.email, "csrf_token": csrf_token(
        officer_client), "password": "correct horse battery staple"})  # fmt: skip
    metric = metric_services.ensure_standard_metrics()[0]
    response = grid_post(officer_client, metric.id, "4.5")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "FY2024-Q1 is closed" in page
    assert 'name="row"' not in page  # read-only grid
    assert db_session.scalars(select(Observation)).all() == []
    assert grid_post(client, metric.id, "4.5").status_code == 409  # the chief too, while closed
    # Reopening needs a reason.
    refused = act(client, "reopen", "  ")
    assert refused.status_code == 422
    assert "Give the reason for reopening" in refused.get_data(as_text=True)
    assert period.is_closed
    assert act(client, "reopen", "Late correction from the call centre.").status_code == 302
    db_session.expire_all()
    assert not period.is_closed
    assert grid_post(officer_client, metric.id, "4.5").status_code == 302
    close, reopen = events(db_session)
    assert (close.action, close.reason, close.actor_id) == ("close", "Quarter final.", chief.id)
    assert (close.before, close.after["state"]) == ({"state": "open", "closed_at": None}, "closed")
    assert (reopen.action, reopen.reason) == ("reopen", "Late correction from the call centre.")
    assert reopen.period_label == LABEL


def test_officer_cannot_close_or_reopen(
    client: Any, login: Any, make_user: Any, period: ReportingPeriod, db_session: Any
) -> None:
    login(make_user("officer", departments=("DMV",)).email)
    assert act(client, "close").status_code == 403
    assert not period.is_closed
    assert events(db_session) == []


def test_require_open_names_the_period() -> None:
    closed = ReportingPeriod(label="FY2020-Q1", state=metric_services.PeriodState.CLOSED)
    with pytest.raises(metric_services.PeriodClosedError, match="FY2020-Q1 is closed"):
        metric_services.require_open(closed)
    metric_services.require_open(ReportingPeriod(label="FY2020-Q2"))


def test_closed_period_grid_is_read_only_with_a_notice(
    client: Any, login: Any, make_user: Any, period: ReportingPeriod, db_session: Any
) -> None:
    period.state = metric_services.PeriodState.CLOSED
    db_session.flush()
    login(make_user("officer", departments=("DMV",)).email)
    page = client.get(f"/departments/DMV/periods/{LABEL}/entry").get_data(as_text=True)
    assert "FY2024-Q1 is closed" in page and "Its values are read-only" in page
    assert 'name="row"' not in page and "-value" not in page
    assert ">Save</button>" not in page


def test_officer_sees_links_to_their_departments_values_per_period(
    client: Any, login: Any, make_user: Any, period: ReportingPeriod
) -> None:
    login(make_user("officer", departments=("DMV",)).email)
    page = client.get("/periods").get_data(as_text=True)
    assert f"/departments/DMV/periods/{LABEL}/entry" in page
    assert f"/departments/DMV/periods/{LABEL}/history" in page


def test_closing_a_period_computes_its_final_snapshot_in_the_same_step(
    client: Any,
    login: Any,
    make_user: Any,
    period: ReportingPeriod,
    db_session: Any,
    runner: Any,
    app: Any,
) -> None:
    """Issue 13: a closed period stayed `is_final: false` until a later rollup ran."""
    from cxprogram.rollup.models import RollupSnapshot

    login(make_user("chief").email)
    response = act(client, "close", "Quarter final.")
    assert response.status_code == 302
    assert "final rollup is computed" in client.get("/periods").get_data(as_text=True)
    db_session.expire_all()
    (snapshot,) = db_session.scalars(
        select(RollupSnapshot).where(RollupSnapshot.period_id == period.id)
    ).all()
    assert snapshot.is_final
    with app.app_context():
        result = runner.invoke(args=["rollup"])
    assert result.exit_code == 0
    assert "No open reporting period: nothing to roll up" in result.output
