"""Organization settings: who may edit what, validation, optimistic locking, and the rule
that the fiscal-year start never silently relabels periods holding data."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from cxprogram.models import AuditEvent, OrgSettings, RollupSnapshot
from tests.conftest import csrf_token

URL = "/admin/organization"
VALID = {
    "name": "City of Example",
    "fiscal_year_start_month": "10",
    "due_days": "30",
    "grace_days": "5",
    "reminder_days_before": "7",
    "time_zone": "America/Chicago",
    "smtp_sender_name": "CX program",
}


@pytest.fixture
def org(db_session: Any, make_settings: Any) -> OrgSettings:
    settings = make_settings("Before")
    db_session.commit()  # a request's rollback must not take the setup with it
    return settings


def _post(client: Any, org: OrgSettings, **changes: str) -> Any:
    data = {**VALID, "version": str(org.version), **changes}
    data["csrf_token"] = csrf_token(client, URL)
    return client.post(URL, data=data)


def test_admin_saves_every_setting_and_it_is_audited(
    client: Any, login: Any, make_user: Any, org: OrgSettings, db_session: Any
) -> None:
    admin = make_user("admin")
    login(admin.email)
    assert client.get(URL).status_code == 200
    response = _post(client, org)
    assert response.status_code == 302
    db_session.refresh(org)
    assert (org.name, org.time_zone, org.smtp_sender_name) == (
        "City of Example",
        "America/Chicago",
        "CX program",
    )
    event = db_session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "org_settings")
    ).one()
    assert event.actor_id == admin.id
    assert event.before["name"] == "Before" and event.after["name"] == "City of Example"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("time_zone", "Mars/Olympus_Mons", "is not a time zone name"),
        ("time_zone", "", "This field is required"),
        ("due_days", "-1", "Number must be between 0 and 365"),
        ("grace_days", "many", "Not a valid integer value"),
        ("fiscal_year_start_month", "13", "Not a valid choice"),
        ("name", "", "This field is required"),
    ],
)
def test_bad_settings_are_refused_naming_the_field(
    client: Any, login: Any, make_user: Any, org: OrgSettings, field: str, value: str, message: str
) -> None:
    login(make_user("admin").email)
    response = _post(client, org, **{field: value})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert org.name == "Before"


def test_chief_edits_only_the_calendar(
    client: Any, login: Any, make_user: Any, org: OrgSettings, db_session: Any
) -> None:
    login(make_user("chief").email)
    page = client.get(URL).get_data(as_text=True)
    assert 'name="due_days"' in page and 'name="time_zone"' not in page
    response = _post(client, org, due_days="45", name="Renamed by the chief", time_zone="UTC")
    assert response.status_code == 302
    db_session.refresh(org)
    assert org.due_days == 45
    assert org.name == "Before" and org.time_zone != "UTC"


@pytest.mark.parametrize("role", ["officer", "viewer"])
def test_officers_and_viewers_may_not_open_settings(
    client: Any, login: Any, make_user: Any, make_department: Any, org: OrgSettings, role: str
) -> None:
    make_department("DMV")
    login(make_user(role, departments=("DMV",)).email)
    assert client.get(URL).status_code == 403


def test_stale_save_is_refused_with_409_showing_theirs_and_keeping_mine(
    app: Any, client: Any, login: Any, make_user: Any, org: OrgSettings, db_session: Any
) -> None:
    login(make_user("admin").email)
    started_at = org.version
    assert _post(client, org, name="First save").status_code == 302
    db_session.refresh(org)
    data = {**VALID, "name": "Second save", "version": str(started_at)}
    data["csrf_token"] = csrf_token(client, URL)
    conflict = client.post(URL, data=data)
    assert conflict.status_code == 409
    page = conflict.get_data(as_text=True)
    assert "Someone else saved this page" in page
    assert "First save" in page and 'value="Second save"' in page
    db_session.refresh(org)
    assert org.name == "First save"


def test_fiscal_start_change_is_refused_when_periods_hold_observations(
    client: Any,
    login: Any,
    make_user: Any,
    make_department: Any,
    make_metrics: Any,
    make_period: Any,
    make_observation: Any,
    org: OrgSettings,
    db_session: Any,
) -> None:
    login(make_user("admin").email)
    dept = make_department("DMV")
    metric = make_metrics("satisfaction")["satisfaction"]
    held, empty = make_period("FY2024-Q1"), make_period("FY2024-Q2")
    make_observation(dept, metric, held, 4.2, n=10)
    db_session.commit()
    response = _post(client, org, fiscal_year_start_month="7", name="Not saved either")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "The fiscal-year start cannot change: 1 reporting periods already hold data" in page
    assert "1 observations" in page
    db_session.expire_all()
    assert org.fiscal_year_start_month == 10 and org.name == "Before"
    assert (held.label, empty.label) == ("FY2024-Q1", "FY2024-Q2")
    relabels = select(AuditEvent).where(AuditEvent.action == "relabel")
    assert db_session.scalars(relabels).all() == []


def test_fiscal_start_change_relabels_empty_periods_consistently_and_audits(
    client: Any, login: Any, make_user: Any, make_period: Any, org: OrgSettings, db_session: Any
) -> None:
    login(make_user("admin").email)
    # October start: FY2024-Q1 is Oct-Dec 2023, FY2024-Q2 Jan-Mar 2024.
    first, second = make_period("FY2024-Q1"), make_period("FY2024-Q2")
    stale = {"period": "FY2024-Q1"}
    db_session.add(RollupSnapshot(period_id=first.id, version=1, inputs_hash="x", result=stale))
    db_session.commit()
    response = _post(client, org, fiscal_year_start_month="7")
    assert response.status_code == 302
    db_session.expire_all()
    assert org.fiscal_year_start_month == 7
    # July start: Oct-Dec 2023 is FY2024-Q2, Jan-Mar 2024 is FY2024-Q3 (same dates here).
    assert (first.label, first.start_date, first.end_date) == (
        "FY2024-Q2",
        date(2023, 10, 1),
        date(2023, 12, 31),
    )
    assert (second.label, second.fiscal_year, second.quarter) == ("FY2024-Q3", 2024, 3)
    events = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "relabel")).all()
    assert {(e.before["label"], e.after["label"]) for e in events} == {
        ("FY2024-Q1", "FY2024-Q2"),
        ("FY2024-Q2", "FY2024-Q3"),
    }
    assert db_session.scalars(select(RollupSnapshot)).all() == []  # recomputed under new labels
    follow = client.get(URL).get_data(as_text=True)
    assert "FY2024-Q1 is now FY2024-Q2" in follow


def test_fiscal_start_shift_by_one_month_keeps_the_middle_month(
    client: Any, login: Any, make_user: Any, make_period: Any, org: OrgSettings, db_session: Any
) -> None:
    login(make_user("admin").email)
    period = make_period("FY2024-Q1")  # Oct-Dec 2023
    assert _post(client, org, fiscal_year_start_month="11").status_code == 302
    db_session.expire_all()
    # November start: Nov 2023-Jan 2024 holds November, the old middle month.
    assert (period.label, period.start_date, period.end_date) == (
        "FY2024-Q1",
        date(2023, 11, 1),
        date(2024, 1, 31),
    )
