"""Metric frequency (SPEC 3) end to end: an annual metric's value written `2023-2024` lands
in FY2024's last quarter, is due only then and its rollup compares with FY2023; monthly
values carry their month, are three rows of one quarter and pool into it; every refusal
names the row, the field and the reason, on the import, the API and the write service."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from cxprogram.auth.tokens import create_token
from cxprogram.imports.framework import apply_plan, plan_file
from cxprogram.imports.observations import observation_importer
from cxprogram.metrics.models import (
    Aggregation,
    Frequency,
    Observation,
    PeriodState,
    ReportingPeriod,
)
from cxprogram.metrics.periods import reporting_window
from cxprogram.org.models import Department
from cxprogram.review.progress import department_progress
from cxprogram.rollup.document import snapshot_document
from cxprogram.rollup.services import run_rollup

LIMIT = 20 * 1024 * 1024
HEADER = "department,metric,period,value,n,month\n"
NOW = datetime(2024, 12, 1, tzinfo=UTC)


@pytest.fixture
def org(
    db_session: Any, make_settings: Any, make_metric: Any, make_department: Any, make_period: Any
) -> dict[str, Any]:
    """Two departments; an annual metric (a yearly share) and a monthly one (calls
    answered), standard; FY2023-Q4 .. FY2024-Q4 open (October start)."""
    make_settings()
    depts = [make_department("VA"), make_department("DOS")]
    annual = make_metric("annual_share", aggregation=Aggregation.WEIGHTED_MEAN,
                         frequency=Frequency.ANNUAL, target=80.0, tolerance=5.0,
                         scale_min=0.0, scale_max=100.0)  # fmt: skip
    monthly = make_metric("calls_wait", aggregation=Aggregation.WEIGHTED_MEAN,
                          frequency=Frequency.MONTHLY, scale_min=0.0)  # fmt: skip
    quarterly = make_metric("backlog", aggregation=Aggregation.MEAN)
    periods = {label: make_period(label) for label in
               ("FY2023-Q4", "FY2024-Q1", "FY2024-Q2", "FY2024-Q3", "FY2024-Q4")}  # fmt: skip
    db_session.flush()
    return {"depts": depts, "annual": annual, "monthly": monthly, "quarterly": quarterly,
            "periods": periods}  # fmt: skip


def _plan(content: str, actor: Any = None) -> Any:
    return plan_file(observation_importer(), "obs.csv", content.encode(), actor, LIMIT)


def _apply(content: str, actor: Any = None) -> dict[str, int]:
    plan = _plan(content, actor)
    assert plan.is_valid, [str(e) for e in plan.errors]
    return apply_plan(observation_importer(), plan, actor)


def _stored(db_session: Any, metric: Any) -> list[tuple[str, str, int | None, float]]:
    rows = db_session.execute(
        select(Department.code, ReportingPeriod.label, Observation.month, Observation.value)
        .join(Observation.department).join(Observation.period)
        .where(Observation.metric_id == metric.id)
        .order_by(Department.code, ReportingPeriod.label, Observation.month)
    )  # fmt: skip
    return [tuple(r) for r in rows]


def test_annual_years_land_in_the_years_last_quarter(org: Any, db_session: Any) -> None:
    counts = _apply(HEADER + "VA,annual_share,2023-2024,82.5,400,\n"
                             "DOS,annual_share,FY2024,71,100,\n"
                             "VA,annual_share,2022-23,79,300,\n")  # fmt: skip
    assert counts["added"] == 3 and counts["periods_created"] == 0
    assert _stored(db_session, org["annual"]) == [
        ("DOS", "FY2024-Q4", None, 71.0), ("VA", "FY2023-Q4", None, 79.0),
        ("VA", "FY2024-Q4", None, 82.5),
    ]  # fmt: skip


def test_annual_and_monthly_refusals_name_row_field_and_reason(org: Any) -> None:
    plan = _plan(HEADER + "VA,annual_share,FY2024-Q2,82.5,400,\n"
                          "VA,annual_share,FY2024,82.5,400,3\n"
                          "VA,calls_wait,FY2024-Q1,40,100,\n"
                          "VA,calls_wait,FY2024-Q1,40,100,3\n"
                          "VA,calls_wait,FY2024-Q1,40,100,13\n"
                          "VA,backlog,FY2024-M11,12,,\n"
                          "VA,backlog,FY2024-Q1,12,,11\n")  # fmt: skip
    found = {(e.row, e.column): e.reason for e in plan.errors}
    assert "not the year's last quarter" in found[(2, "period")]
    assert "take no month" in found[(3, "month")]
    assert "give the month of FY2024-Q1 (October, November, December)" in found[(4, "month")]
    assert "month 3 is not in FY2024-Q1" in found[(5, "month")]
    assert "'13' is not a month" in found[(6, "month")]
    assert "the metric is quarterly" in found[(7, "period")]
    assert "take no month" in found[(8, "month")]
    assert len(plan.errors) == 7 and plan.payload is None


def test_monthly_values_are_three_rows_and_pool_into_their_quarter(
    org: Any, db_session: Any
) -> None:
    _apply(HEADER + "VA,calls_wait,FY2024-M10,30,100,\n"
                    "VA,calls_wait,FY2024-Q1,60,300,11\n"
                    "VA,calls_wait,FY2024-M12,45,200,12\n"
                    "DOS,calls_wait,FY2024-M11,50,10,\n")  # fmt: skip
    assert _stored(db_session, org["monthly"]) == [
        ("DOS", "FY2024-Q1", 11, 50.0), ("VA", "FY2024-Q1", 10, 30.0),
        ("VA", "FY2024-Q1", 11, 60.0), ("VA", "FY2024-Q1", 12, 45.0),
    ]  # fmt: skip
    again = _apply(HEADER + "VA,calls_wait,FY2024-Q1,61,300,11\n")
    assert again == {"added": 0, "changed": 1, "unchanged": 0, "periods_created": 0}
    doc = snapshot_document(run_rollup(org["periods"]["FY2024-Q1"], NOW).snapshot)
    block = doc["metrics"]["calls_wait"]
    va = block["departments"]["VA"]
    assert va["score"] == pytest.approx((30 * 100 + 61 * 300 + 45 * 200) / 600, abs=1e-12)
    assert va["n"] == 600.0 and block["departments"]["DOS"]["n"] == 10.0
    assert block["org_score"] == pytest.approx((30 * 100 + 61 * 300 + 45 * 200 + 500) / 610)


def _progress(org: Any, label: str, today: date) -> dict[str, tuple[int, int, bool]]:
    """(reported, expected, late) per department with `label` the period being reported
    (the latest open one: the others are closed)."""
    for period in org["periods"].values():
        period.state = PeriodState.OPEN if period.label == label else PeriodState.CLOSED
    window = reporting_window(today)
    assert window.label == label
    return {p.code: (p.metrics_reported, p.metrics_expected, p.is_late)
            for p in department_progress(window, org["depts"], today)}  # fmt: skip


def test_an_annual_metric_is_due_only_in_the_years_last_quarter(
    org: Any, db_session: Any, make_observation: Any
) -> None:
    va, dos = org["depts"]
    for label in ("FY2024-Q2", "FY2024-Q4"):
        for metric in ("monthly", "quarterly"):
            make_observation(va, org[metric], org["periods"][label], 1.0,
                             month=(1 if label == "FY2024-Q2" else 7) if metric == "monthly"
                             else None)  # fmt: skip
    late_day = date(2025, 3, 1)  # after both periods' due dates
    # FY2024-Q2: the annual metric is not due; VA reported both that are, DOS none
    assert _progress(org, "FY2024-Q2", late_day) == {"VA": (2, 2, False), "DOS": (0, 2, True)}
    # FY2024-Q4: it is due, and VA is late until it reports it
    assert _progress(org, "FY2024-Q4", late_day) == {"VA": (2, 3, True), "DOS": (0, 3, True)}
    make_observation(va, org["annual"], org["periods"]["FY2024-Q4"], 85.0, n=10.0)
    assert _progress(org, "FY2024-Q4", late_day)["VA"] == (3, 3, False)


def test_an_annual_rollup_compares_with_the_previous_year(
    org: Any, db_session: Any, make_observation: Any, client: Any, login: Any, make_user: Any
) -> None:
    va, dos = org["depts"]
    years = {"FY2021": (70.0, 60.0), "FY2022": (74.0, 66.0), "FY2023": (78.0, 64.0),
             "FY2024": (82.0, 71.0)}  # fmt: skip
    for year, (va_value, dos_value) in years.items():
        _apply(
            HEADER + f"VA,annual_share,{year},{va_value},300,\n"
            f"DOS,annual_share,{int(year[2:]) - 1}-{year[4:]},{dos_value},100,\n"
        )
    # a quarterly metric's values in every quarter, to show the annual one ignores them
    for label in ("FY2024-Q3", "FY2024-Q4"):
        make_observation(va, org["quarterly"], org["periods"][label], 5.0)
    doc = snapshot_document(run_rollup(org["periods"]["FY2024-Q4"], NOW).snapshot)
    block = doc["metrics"]["annual_share"]
    assert doc["previous_period"] == "FY2024-Q3"
    assert block["frequency"] == "annual" and block["compared_with"] == "FY2023-Q4"
    s0 = (78.0 * 300 + 64.0 * 100) / 400
    s1 = (82.0 * 300 + 71.0 * 100) / 400
    assert block["org_score"] == pytest.approx(s1, abs=1e-12)
    dec = block["decomposition"]
    assert dec["delta"] == pytest.approx(s1 - s0, abs=1e-12)
    assert dec["departments"]["VA"]["rate"] == pytest.approx(0.75 * 4.0, abs=1e-12)
    assert dec["departments"]["DOS"]["rate"] == pytest.approx(0.25 * 7.0, abs=1e-12)
    assert dec["departments"]["VA"]["mix"] == pytest.approx(0.0, abs=1e-12)
    # the series are yearly: the four years, not sixteen quarters with gaps
    values = block["variation"]["values"]
    assert [v for v in values if v is not None] == pytest.approx(
        [(va_ * 300 + dos_ * 100) / 400 for va_, dos_ in years.values()][
            -len([v for v in values if v is not None]) :
        ]
    )
    assert block["departments"]["VA"]["variation"]["values"][-1] == 82.0
    quarterly = doc["metrics"]["backlog"]
    assert quarterly["compared_with"] == "FY2024-Q3" and quarterly["frequency"] == "quarterly"
    login(make_user("chief").email)
    html = client.get("/dashboard?period=FY2024-Q4&metric=annual_share").get_data(as_text=True)
    assert "(since FY2023-Q4)" in html  # the change column says it is a year's change
    assert "Parts of the change in overall metric annual_share from FY2023-Q4" in html


def test_the_api_takes_month_and_year_labels(
    org: Any, client: Any, make_user: Any, db_session: Any
) -> None:
    chief = make_user("chief")
    headers = {"Authorization": f"Bearer {create_token(chief)}"}
    body = [
        {
            "department": "VA",
            "metric": "annual_share",
            "period": "2023-24",
            "value": 80.0,
            "n": 50.0,
        },
        {"department": "VA", "metric": "calls_wait", "period": "FY2024-M12", "value": 30.0},
        {
            "department": "VA",
            "metric": "calls_wait",
            "period": "FY2024-Q1",
            "month": 10,
            "value": 35.0,
        },
    ]
    answer = client.post("/api/v1/observations", json=body, headers=headers)
    assert answer.status_code == 201, answer.get_json()
    assert _stored(db_session, org["monthly"]) == [
        ("VA", "FY2024-Q1", 10, 35.0), ("VA", "FY2024-Q1", 12, 30.0)
    ]  # fmt: skip
    assert _stored(db_session, org["annual"]) == [("VA", "FY2024-Q4", None, 80.0)]
    metrics = client.get("/api/v1/metrics", headers=headers).get_json()
    assert {m["code"]: m["frequency"] for m in metrics} == {
        "annual_share": "annual", "calls_wait": "monthly", "backlog": "quarterly"
    }  # fmt: skip
    listed = client.get("/api/v1/observations?metric=calls_wait", headers=headers).get_json()
    assert sorted(item["month"] for item in listed["items"]) == [10, 12]
    bad = [{"department": "VA", "metric": "calls_wait", "period": "FY2024-Q1", "value": 1.0},
           {"department": "VA", "metric": "calls_wait", "period": "FY2024-Q1", "month": 0,
            "value": 1.0}]  # fmt: skip
    refused = client.post("/api/v1/observations", json=bad, headers=headers)
    assert refused.status_code == 422
    problems = [(e["index"], e["field"]) for e in refused.get_json()["errors"]]
    assert problems == [(0, "month"), (1, "month")]


def test_the_write_service_refuses_what_planning_let_through(org: Any, make_user: Any) -> None:
    from cxprogram.metrics.models import Source
    from cxprogram.metrics.observation_payload import ObservationPayload, ObservationRow
    from cxprogram.metrics.observation_writes import FrequencyError, write_observations

    va = org["depts"][0]
    cases = [
        (
            (va.id, org["annual"].id, "FY2024-Q2", None, None, "", None, None),
            "period",
            "last quarter",
        ),
        (
            (va.id, org["monthly"].id, "FY2024-Q1", None, None, "", None, None),
            "month",
            "give the month",
        ),
        (
            (va.id, org["monthly"].id, "FY2024-Q1", None, None, "", None, 3),
            "month",
            "not in FY2024-Q1",
        ),
        ((va.id, org["quarterly"].id, "FY2024-Q1", None, None, "", None, 11), "month", "no month"),
    ]
    for key, field, words in cases:
        payload = ObservationPayload(adds=[ObservationRow(4, key, 1.0, 1.0, "", True)])
        with pytest.raises(FrequencyError) as error:
            write_observations(payload, None, Source.API)
        assert (error.value.number, error.value.field) == (4, field)
        assert words in error.value.reason and "(row 4)" in str(error.value)


def test_the_grid_has_a_row_for_each_month_and_saves_one(
    org: Any, client: Any, login: Any, make_user: Any, db_session: Any, make_observation: Any
) -> None:
    from tests.conftest import csrf_token
    from tests.integration.test_grid_layout import form_of

    va = org["depts"][0]
    make_observation(va, org["annual"], org["periods"]["FY2023-Q4"], 75.0, n=10.0)
    login(make_user("officer", departments=("VA",)).email)
    url = "/departments/VA/periods/FY2024-Q1/entry"
    page = client.get(url).get_data(as_text=True)
    monthly = org["monthly"].id
    for month, text in ((10, "October 2023"), (11, "November 2023"), (12, "December 2023")):
        assert f'for="n{monthly}-0-0-{month}-value"' in page
        assert f"Value, Metric calls_wait, department level, {text}" in page
    assert "reported monthly" in page
    assert f'for="n{org["annual"].id}-0-0-value"' not in page  # not due in Q1
    data = form_of(page)
    data[f"n{monthly}-0-0-11-value"], data[f"n{monthly}-0-0-11-n"] = "42", "120"
    answer = client.post(url, data={**data, "csrf_token": csrf_token(client, url)})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
    assert _stored(db_session, org["monthly"]) == [("VA", "FY2024-Q1", 11, 42.0)]
    page = client.get(url).get_data(as_text=True)
    assert "November 2023" in page and 'value="42"' in page
    # FY2024-Q4: the annual metric is due, and its previous value is the previous year's
    q4 = client.get("/departments/VA/periods/FY2024-Q4/entry").get_data(as_text=True)
    assert f'for="n{org["annual"].id}-0-0-value"' in q4
    assert "compared with FY2023-Q4" in q4 and "<td>75</td>" in q4


def test_an_export_of_monthly_values_imports_back_unchanged(
    org: Any, client: Any, login: Any, make_user: Any, db_session: Any
) -> None:
    _apply(HEADER + "VA,calls_wait,FY2024-M10,30,100,\n"
                    "VA,calls_wait,FY2024-M11,60,300,\n"
                    "VA,annual_share,2023-2024,82.5,400,\n")  # fmt: skip
    chief = make_user("chief")
    login(chief.email)
    exported = client.get("/exports/observations.csv").get_data(as_text=True)
    header = exported.splitlines()[0].lstrip("\ufeff")
    assert header.split(",")[4:6] == ["period", "month"]
    plan = _plan(exported, chief)
    assert plan.is_valid, [str(e) for e in plan.errors]
    assert (plan.count("add"), plan.count("change"), plan.count("same")) == (0, 0, 3)


def test_the_catalog_shows_and_edits_the_frequency(
    org: Any, client: Any, login: Any, make_user: Any, db_session: Any
) -> None:
    from tests.integration.test_metric_catalog import edit_data, save

    login(make_user("chief").email)
    catalog = client.get("/metrics").get_data(as_text=True)
    assert '<th scope="col">Reported</th>' in catalog
    assert "<td>annual</td>" in catalog and "<td>monthly</td>" in catalog
    form = client.get("/metrics/backlog/edit").get_data(as_text=True)
    assert '<option selected value="quarterly">quarterly</option>' in form
    answer = save(client, "/metrics/backlog/edit", edit_data(org["quarterly"], frequency="annual"))
    assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
    db_session.expire_all()
    assert org["quarterly"].frequency == Frequency.ANNUAL
    refused = save(client, "/metrics/backlog/edit",
                   edit_data(org["quarterly"], frequency="weekly"))  # fmt: skip
    assert refused.status_code == 200 and "Not a valid choice" in refused.get_data(as_text=True)


def test_a_frequency_its_stored_values_do_not_fit_is_refused(
    org: Any, client: Any, login: Any, make_user: Any, db_session: Any, make_observation: Any
) -> None:
    from tests.integration.test_metric_catalog import edit_data, save

    va = org["depts"][0]
    for label in ("FY2024-Q1", "FY2024-Q4"):
        make_observation(va, org["quarterly"], org["periods"][label], 3.0)
    login(make_user("chief").email)
    for frequency, misfits in (("annual", "1 stored value"), ("monthly", "2 stored values")):
        answer = save(client, "/metrics/backlog/edit",
                      edit_data(org["quarterly"], frequency=frequency))  # fmt: skip
        assert answer.status_code == 422
        assert f"{misfits} of backlog would not fit a {frequency} metric" in answer.get_data(
            as_text=True
        )
        db_session.expire_all()
        assert org["quarterly"].frequency == Frequency.QUARTERLY
    db_session.delete(
        db_session.scalars(
            select(Observation)
            .join(Observation.period)
            .where(
                ReportingPeriod.label == "FY2024-Q1", Observation.metric_id == org["quarterly"].id
            )
        ).one()
    )
    db_session.flush()
    answer = save(client, "/metrics/backlog/edit", edit_data(org["quarterly"], frequency="annual"))
    assert answer.status_code == 302  # the FY2024-Q4 value fits an annual metric
