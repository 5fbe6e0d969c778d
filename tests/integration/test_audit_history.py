"""Audit history of a department-period reads as a log; the chief exports the whole log as
CSV (streamed, optional date filter, formula-like cells neutralised)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest

from cxprogram.core import audit
from cxprogram.core.fiscal import FiscalQuarter
from cxprogram.metrics import services as metric_services
from cxprogram.models import AuditEvent


@pytest.fixture
def history(make_department: Any, make_user: Any, db_session: Any) -> dict[str, Any]:
    dmv, va = make_department("DMV"), make_department("VA")
    metric_services.ensure_period(FiscalQuarter(2024, 1), 10)
    officer = make_user("officer", departments=("DMV",))
    audit.record("update", "observation", 7, actor=officer, before={"value": 3.5, "n": 10},
                 after={"value": 4.25, "n": 10}, department_id=dmv.id,
                 period_label="FY2024-Q1")  # fmt: skip
    audit.record("update", "observation", 8, actor=officer, before={"value": 1.0},
                 after={"value": 2.0}, department_id=va.id, period_label="FY2024-Q1")  # fmt: skip
    audit.record("close", "period", "FY2024-Q1", actor=officer, before={"state": "open"},
                 after={"state": "closed"}, period_label="FY2024-Q1",
                 reason="Quarter final.")  # fmt: skip
    audit.record("update", "service", 3, actor=officer, before={"description": "=cmd()"},
                 after={"description": "Online"}, department_id=dmv.id)  # fmt: skip
    db_session.flush()
    return {"dmv": dmv, "officer": officer}


def test_history_lists_the_department_periods_events_as_a_log(
    client: Any, login: Any, make_user: Any, history: dict[str, Any]
) -> None:
    login(make_user("viewer").email)
    page = client.get("/departments/DMV/periods/FY2024-Q1/history").get_data(as_text=True)
    assert "Test officer changed a value, DMV, from 3.50 to 4.25." in page
    assert "and n from" not in page  # unchanged fields are not repeated
    assert "Test officer closed FY2024-Q1: “Quarter final.”" in page
    assert "Test officer changed a service." in page  # no longer stored: no name to give
    assert "Description from “=cmd()” to “Online”" in page
    assert history["officer"].email not in page  # people by name
    assert "from 1.00 to 2.00" not in page  # another department's event


def test_history_needs_read_access(
    client: Any, login: Any, make_user: Any, history: dict[str, Any], make_department: Any
) -> None:
    login(make_user("viewer", departments=("VA",)).email)
    assert client.get("/departments/DMV/periods/FY2024-Q1/history").status_code == 403
    assert client.get("/departments/DMV/periods/FY1990-Q1/history").status_code == 404


def test_chief_exports_the_whole_log_as_neutralised_csv(
    client: Any, login: Any, make_user: Any, history: dict[str, Any], db_session: Any
) -> None:
    login(make_user("chief").email)
    assert client.get("/audit").status_code == 200
    response = client.get("/audit/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.is_streamed
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == db_session.query(AuditEvent).count()
    close = next(r for r in rows if r["action"] == "close")
    assert (close["period"], close["reason"], close["department"]) == (
        "FY2024-Q1", "Quarter final.", "")  # fmt: skip
    observation = next(r for r in rows if r["entity_id"] == "7")
    assert observation["department"] == "DMV"
    assert '"value": 4.25' in observation["after"]


def test_export_neutralises_formula_like_cells(
    client: Any, login: Any, make_user: Any, history: dict[str, Any], db_session: Any
) -> None:
    audit.record("update", "=HYPERLINK(1)", "-5", actor=None, reason="@sum")
    db_session.flush()
    login(make_user("chief").email)
    rows = list(csv.reader(io.StringIO(client.get("/audit/export.csv").get_data(as_text=True))))
    last = next(r for r in rows if r[4].startswith("'="))
    assert last[4:6] == ["'=HYPERLINK(1)", "'-5"]
    assert last[-1] == "'@sum"


def test_export_filters_by_date(
    client: Any, login: Any, make_user: Any, history: dict[str, Any], db_session: Any
) -> None:
    old = audit.record("create", "metric", "old_one", actor=None)
    old.occurred_at = datetime(2020, 5, 1, 12, 0, tzinfo=UTC)
    db_session.flush()
    login(make_user("chief").email)
    text = client.get("/audit/export.csv?start=2020-05-01&end=2020-05-01").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["entity_id"] for r in rows] == ["old_one"]
    later = client.get("/audit/export.csv?start=2020-05-02").get_data(as_text=True)
    assert "old_one" not in later
    assert client.get("/audit/export.csv?start=May").status_code == 400


@pytest.mark.parametrize("role", ["officer", "viewer", "admin"])
def test_only_the_chief_exports(
    client: Any, login: Any, make_user: Any, make_department: Any, role: str
) -> None:
    make_department("DMV")
    login(make_user(role, departments=("DMV",) if role == "officer" else ()).email)
    assert client.get("/audit/export.csv").status_code == 403
    assert client.get("/audit").status_code == 403
