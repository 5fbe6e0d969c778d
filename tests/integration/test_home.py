"""Home pages: the officer sees what is due, what is entered, the reds waiting for a note, the
plan state and late milestones; the chief's completion tracker shows the same per department."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest

from cxprogram.metrics import services as metric_services
from cxprogram.models import Milestone, PlanReview, Strategy
from cxprogram.review.models import ReviewState


@pytest.fixture
def org(
    make_settings: Any,
    make_metrics: Any,
    make_department: Any,
    make_period: Any,
    make_observation: Any,
    db_session: Any,
) -> dict[str, Any]:
    make_settings()
    metrics = make_metrics()
    dmv, va, dos = make_department("DMV"), make_department("VA"), make_department("DOS")
    period = make_period("FY2024-Q1")
    for code, metric in metrics.items():  # DMV reports everything, one red without a note
        value = 3.0 if code == "satisfaction" else (metric.target or 1.0)
        make_observation(dmv, metric, period, value)
    make_observation(va, metrics["trust"], period, 4.5)
    db_session.add(
        PlanReview(department_id=dmv.id, period_id=period.id, state=ReviewState.SUBMITTED)
    )
    strategy = Strategy(department=dmv, title="Call-back instead of hold queues")
    strategy.milestones.append(Milestone(title="Pilot in one centre",
                                         due_date=date.today() - timedelta(days=3)))  # fmt: skip
    strategy.milestones.append(Milestone(title="Roll out", due_date=date.today() + timedelta(9)))
    db_session.add(strategy)
    db_session.flush()
    return {"dmv": dmv, "va": va, "dos": dos, "metrics": metrics, "period": period}


def _cell(row: str, label: str) -> str:
    """The text of a table row's cell of a data label, tags dropped and spaces joined."""
    match = re.search(f'<td data-label="{label}">(.*?)</td>', row, re.DOTALL)
    assert match, f"no {label} cell in {row}"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def test_officer_home_shows_what_is_due_and_what_to_do(
    client: Any, login: Any, make_user: Any, org: dict[str, Any]
) -> None:
    login(make_user("officer", departments=("DMV",)).email)
    page = client.get("/").get_data(as_text=True)
    assert "Reporting period FY2024-Q1" in page
    assert "Data due 2024-01-30" in page  # quarter end 2023-12-31 + 30 days
    assert "11 of 11 metrics entered" in page
    assert "Reds waiting for an explanation:</strong> 1." in page
    assert "Red scores of DMV without an explanation note" in page
    assert '<th scope="row">Satisfaction</th>' in page
    assert "<strong>Plan:</strong> submitted." in page
    assert "Call-back instead of hold queues" in page and "Pilot in one centre" in page
    assert "Roll out" not in page  # not late yet
    assert "/departments/DMV/periods/FY2024-Q1/entry" in page
    assert "/departments/DMV/periods/FY2024-Q1/history" in page


def test_officer_home_names_metrics_not_entered(
    client: Any, login: Any, make_user: Any, org: dict[str, Any]
) -> None:
    login(make_user("officer", departments=("VA",)).email)
    page = client.get("/").get_data(as_text=True)
    assert "1 of 11 metrics entered" in page
    assert "Not entered yet: Satisfaction, Effectiveness" in page
    assert "Reds waiting for an explanation:</strong> none." in page
    assert "<strong>Plan:</strong> draft." in page


def test_a_departments_own_metric_counts_as_expected_for_it_only(
    client: Any, login: Any, make_user: Any, org: dict[str, Any]
) -> None:
    data = {"name": "VA wait", "kind": "operational", "unit": "days", "aggregation": "mean"}
    metric_services.create_metric("va_wait", org["va"], data, make_user("chief"))
    login(make_user("chief").email)
    page = client.get("/tracker").get_data(as_text=True)
    assert "11 of 11" in page and "1 of 12" in page and "0 of 11" in page


def test_chief_tracker_lists_every_department_reported_partly_or_late(
    client: Any, login: Any, make_user: Any, org: dict[str, Any]
) -> None:
    login(make_user("chief").email)
    page = client.get("/tracker").get_data(as_text=True)
    assert "Completion tracker, all departments" in page
    assert "1 of 3 departments have reported every metric;\n1 partly;\n2 are late." in page
    rows = page.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
    by_code = {
        code: next(r for r in rows if f">{code}</abbr>" in r) for code in ("DMV", "VA", "DOS")
    }
    assert {code: _cell(row, "Completion") for code, row in by_code.items()} == {
        "DMV": "reported", "VA": "partly late", "DOS": "missing late"
    }  # fmt: skip
    assert '<td data-label="Reds without a note">1</td>' in by_code["DMV"]
    assert "/departments/VA/periods/FY2024-Q1/entry" in page
    assert 'href="/audit"' in page and 'href="/periods"' in page


def test_department_page_links_the_grid_for_its_editors(
    client: Any, login: Any, make_user: Any, org: dict[str, Any]
) -> None:
    login(make_user("officer", departments=("DMV",)).email)
    assert "/departments/DMV/entry" in client.get("/departments/DMV").get_data(as_text=True)
    assert "/departments/VA/entry" not in client.get("/departments/VA").get_data(as_text=True)
    response = client.get("/departments/DMV/entry")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/departments/DMV/periods/FY2024-Q1/entry")
    assert client.get("/departments/VA/entry").status_code == 403
