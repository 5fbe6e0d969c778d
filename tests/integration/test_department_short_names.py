"""A department's optional short name (issue 13, item 5): the department form and the import
take it under one rule (calc.SHORT_NAME_RULE, shown in the form's hint and the import's
message), and tight tables show it, else the code (the dashboard's heatmap, the PDF's)."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from sqlalchemy import select

from cxprogram.admin import calc
from cxprogram.dashboard import tables
from cxprogram.imports.departments import DepartmentImporter
from cxprogram.imports.framework import apply_plan, plan_file
from cxprogram.models import AuditEvent, Department
from tests.conftest import csrf_token


def post(client: Any, path: str, data: dict[str, Any]) -> Any:
    return client.post(path, data={"csrf_token": csrf_token(client, path), **data})


def test_the_form_shows_the_rule_and_saves_a_short_name(
    client: Any, login: Any, make_user: Any, make_department: Any, db_session: Any
) -> None:
    dept = make_department("FINTRAC-CANAFE", "Financial Transactions and Reports Analysis")
    login(make_user("admin").email)
    url = f"/admin/departments/{dept.code}/edit"
    page = client.get(url).get_data(as_text=True)
    assert calc.SHORT_NAME_RULE[1:] in html.unescape(page)  # the hint
    data = {"code": dept.code, "name": dept.name, "parent": "", "short_name": " FINTRAC ",
            "version": str(dept.version)}  # fmt: skip
    assert post(client, url, data).status_code == 302
    db_session.refresh(dept)
    assert dept.short_name == "FINTRAC" and dept.tight_name == "FINTRAC"
    event = db_session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "department")
    ).all()[-1]
    assert (event.before["short_name"], event.after["short_name"]) == (None, "FINTRAC")
    data = {**data, "short_name": "", "version": str(dept.version)}
    assert post(client, url, data).status_code == 302
    db_session.refresh(dept)
    assert dept.short_name is None and dept.tight_name == "FINTRAC-CANAFE"


def test_a_short_name_over_the_limit_is_refused_with_the_rule(
    client: Any, login: Any, make_user: Any, db_session: Any
) -> None:
    login(make_user("admin").email)
    data = {"code": "PARKS", "name": "Parks", "parent": "", "short_name": "Parks and recreation"}
    response = post(client, "/admin/departments/new", data)
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert f"'Parks and recreation' is not a valid short name ({calc.SHORT_NAME_RULE})" in page
    assert db_session.scalar(select(Department).where(Department.code == "PARKS")) is None


def test_the_import_takes_short_names_under_the_same_rule(
    make_user: Any, make_department: Any, db_session: Any
) -> None:
    admin = make_user("admin")
    make_department("VA", "Veterans Affairs", short_name="Vet. Affairs")
    bad = "code,name,short_name\nDMV,Motor vehicles,Motor vehicles dept\n"
    plan = plan_file(DepartmentImporter(), "d.csv", bad.encode(), admin, 1 << 20)
    assert [(e.row, e.column, e.reason) for e in plan.errors] == [
        (2, "short_name", f"'Motor vehicles dept' is not a valid short name "
                          f"({calc.SHORT_NAME_RULE})")
    ]  # fmt: skip
    good = "code,name,short_name\nDMV,Motor vehicles,Motor veh.\nVA,Veterans Affairs,\n"
    plan = plan_file(DepartmentImporter(), "d.csv", good.encode(), admin, 1 << 20)
    assert plan.is_valid, [str(e) for e in plan.errors]
    assert apply_plan(DepartmentImporter(), plan, admin)["departments_changed"] == 1
    query = select(Department.code, Department.short_name)
    shorts = dict(db_session.execute(query).tuples().all())
    assert shorts == {"DMV": "Motor veh.", "VA": None}  # a blank cell clears it
    # A file without the column leaves the short names as they are (a no-op here).
    plain = "code,name\nDMV,Motor vehicles\n"
    plan = plan_file(DepartmentImporter(), "d.csv", plain.encode(), admin, 1 << 20)
    assert apply_plan(DepartmentImporter(), plan, admin)["unchanged"] == 1
    db_session.expire_all()
    assert db_session.scalar(select(Department.short_name).where(Department.code == "DMV")) == (
        "Motor veh."
    )


def test_tight_tables_show_the_short_name_else_the_code() -> None:
    assert calc.tight_name("FINTRAC-CANAFE", "FINTRAC") == "FINTRAC"
    assert calc.tight_name("VA", None) == "VA"
    doc = {
        "departments": {"VA": {"name": "Veterans Affairs", "parent": None, "short_name": None},
                        "DMV": {"name": "Motor Vehicles", "parent": None,
                                "short_name": "Motor veh."}},
        "metrics": {"satisfaction": {"is_standard": True, "departments": {
            "VA": {"score": 4.1, "status": "green"}, "DMV": {"score": 3.9, "status": "red"}}}},
    }  # fmt: skip
    _, rows = tables.heatmap(doc, "department", False)
    assert [(r.code, r.tight) for r in rows] == [("DMV", "Motor veh."), ("VA", "VA")]


@pytest.fixture
def rolled(runner: Any, db_session: Any) -> None:
    assert runner.invoke(args=["demo"]).exit_code == 0
    va = db_session.scalar(select(Department).where(Department.code == "VA"))
    va.short_name = "Vet. Aff."
    db_session.flush()
    assert runner.invoke(args=["rollup", "--all"]).exit_code == 0


def test_the_dashboard_heatmap_shows_the_short_name(
    client: Any, login: Any, make_user: Any, rolled: None
) -> None:
    login(make_user("chief").email)
    page = client.get("/dashboard?period=FY2023-Q1").get_data(as_text=True)
    heatmap = page[page.index('id="heatmap"') :]
    row = heatmap[heatmap.index('data-department="VA"') :][:800]
    assert ">Vet. Aff.<" in row
    assert "Veterans Affairs" in row or 'title="' in row  # the full name stays readable


def test_the_pdf_heatmap_shows_the_short_name_else_the_code(
    make_settings: Any, make_metrics: Any, make_department: Any, make_period: Any,
    make_observation: Any, db_session: Any,
) -> None:  # fmt: skip
    from cxprogram.reports import content, document, services
    from tests.integration.report_data import build_org, roll_up

    factories = {"settings": make_settings, "metrics": make_metrics,
                 "department": make_department, "period": make_period,
                 "observation": make_observation}  # fmt: skip
    org = build_org(factories)
    org["departments"][1].short_name = "Beta"
    db_session.flush()
    period = org["period"]
    payload = services.report_payload(period, roll_up(period), None)
    model = content.build_model(payload.document, payload.facts, "2023-04-21T09:00:00+00:00")
    page = document.build_html(model)
    heatmap = page[page.index('id="heatmap"') :]
    heatmap = heatmap[: heatmap.index("</table>")]
    rows = re.findall(r'<th scope="row">([^<]*)</th>', heatmap)
    assert sorted(rows) == ["AAA", "Beta", "CCC", "DDD"]
