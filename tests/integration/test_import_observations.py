"""The observations import: every bad row named (row, column, reason) and nothing written,
good .csv and .xlsx files land, updates instead of duplicates, idempotence, officers limited
to their departments, the command's exit codes, and the CSV dialects Excel writes."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select

from cxprogram.imports.framework import apply_plan, plan_file
from cxprogram.imports.observations import observation_importer
from cxprogram.metrics.models import Observation, PeriodState, ReportingPeriod, Source
from cxprogram.models import AuditEvent, Service

LIMIT = 20 * 1024 * 1024
HEADER = "department,metric,period,value,n,service,channel,note\n"


@pytest.fixture
def org(
    db_session: Any, make_settings: Any, make_metrics: Any, make_department: Any, make_period: Any
) -> dict[str, Any]:
    """Two departments, the standard catalog, one open and one closed period."""
    make_settings()
    make_metrics()
    va, dos = make_department("VA"), make_department("DOS")
    db_session.add(Service(department=va, name="Benefits"))
    open_ = make_period("FY2023-Q1")
    closed = make_period("FY2022-Q4", closed=True)
    db_session.flush()
    return {"va": va, "dos": dos, "open": open_, "closed": closed}


def _plan(content: str | bytes, actor: Any = None, name: str = "obs.csv") -> Any:
    data = content.encode() if isinstance(content, str) else content
    return plan_file(observation_importer(), name, data, actor, LIMIT)


def _apply(content: str | bytes, actor: Any = None, name: str = "obs.csv") -> dict[str, int]:
    plan = _plan(content, actor, name)
    assert plan.is_valid, [str(e) for e in plan.errors]
    return apply_plan(observation_importer(), plan, actor)


def _count(db_session: Any) -> int:
    return int(db_session.scalar(select(func.count(Observation.id))))


GOOD = HEADER + (
    "VA,satisfaction,FY2023-Q1,4.25,120,Benefits,web,Online claims\n"
    "VA,trust,FY2023-Q1,3.9,118,Benefits,web,\n"
    "DOS,speed_of_answer,FY2023-Q1,95,2000,,phone,\n"
)


def test_every_bad_row_is_listed_and_nothing_is_written(org: Any, db_session: Any) -> None:
    bad = HEADER + (
        "VA,satisfaction,FY2023-Q1,4.2,10,Benefits,web,\n"  # 2: fine
        "XYZ,satisfaction,FY2023-Q1,4.2,10,,,\n"  # 3: unknown department
        "VA,happiness,FY2023-Q1,4.2,10,,,\n"  # 4: unknown metric
        "VA,satisfaction,2023Q1,4.2,10,,,\n"  # 5: malformed period
        "VA,satisfaction,FY2023-Q1,lots,10,,,\n"  # 6: not a number
        "VA,trust,FY2023-Q1,nan,10,,,\n"  # 7: NaN is not a number
        "VA,ease,FY2023-Q1,4,-3,,,\n"  # 8: negative n
        "VA,efficiency,FY2023-Q1,7,10,,,\n"  # 9: outside the 1..5 scale
        "VA,satisfaction,FY2023-Q1,4.0,10,Benefits,web,\n"  # 10: repeats row 2
        "VA,employee,FY2023-Q1,4,10,Passports,,\n"  # 11: unknown service for VA
        "VA,employee,FY2023-Q1,4,10,,carrier pigeon,\n"  # 12: unknown channel
        "VA,satisfaction,FY2022-Q4,4,10,,,\n"  # 13: closed period
        "VA,satisfaction,FY2099-Q1,4,10,,,\n"  # 14: period not started
        "VA,transparency,FY2023-Q1,inf,10,,,\n"  # 15: infinity
        "VA,transparency,FY2023-Q2,4,10,,,nul \x00 byte\n"  # 16: NUL in a stored text
    )
    plan = _plan(bad)
    found = {(e.row, e.column): e.reason for e in plan.errors}
    assert not plan.is_valid
    assert "unknown department 'XYZ'" in found[(3, "department")]
    assert "unknown metric 'happiness'" in found[(4, "metric")]
    assert "FY2024-Q1" in found[(5, "period")]
    assert "'lots' is not a number" in found[(6, "value")]
    assert "not a number" in found[(7, "value")]
    assert "negative" in found[(8, "n")]
    assert "outside the scale" in found[(9, "value")] and "1 to 5" in found[(9, "value")]
    assert "repeats row 2" in found[(10, "")]
    assert "unknown service 'Passports'" in found[(11, "service")]
    assert "unknown channel 'carrier pigeon'" in found[(12, "channel")]
    assert "closed" in found[(13, "period")]
    assert "not started" in found[(14, "period")]
    assert "not a number" in found[(15, "value")]
    assert "NUL" in found[(16, "note")]
    assert len(plan.errors) == 14 and plan.rows == []
    with pytest.raises(ValueError, match="cannot be applied"):
        apply_plan(observation_importer(), plan, None)
    assert _count(db_session) == 0


def test_a_good_csv_lands_with_source_and_author(org: Any, db_session: Any, make_user: Any) -> None:
    chief = make_user("chief")
    counts = _apply(GOOD, chief)
    assert counts == {"added": 3, "changed": 0, "unchanged": 0, "periods_created": 0}
    rows = db_session.scalars(select(Observation).order_by(Observation.id)).all()
    assert [(o.department.code, o.metric.code, o.value, o.n) for o in rows] == [
        ("VA", "satisfaction", 4.25, 120.0), ("VA", "trust", 3.9, 118.0),
        ("DOS", "speed_of_answer", 95.0, 2000.0),
    ]  # fmt: skip
    first = rows[0]
    assert first.service is not None and first.service.name == "Benefits"
    assert first.channel is not None and first.channel.code == "web"
    assert first.note == "Online claims" and first.source == Source.IMPORT
    assert first.created_by_id == chief.id and first.period_id == org["open"].id
    assert first.created_at.tzinfo is not None and first.updated_at == first.created_at
    events = db_session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "observations")
    ).all()
    assert {(e.entity_id, e.period_label) for e in events} == {
        ("VA/FY2023-Q1", "FY2023-Q1"), ("DOS/FY2023-Q1", "FY2023-Q1")
    }  # fmt: skip
    va_event = next(e for e in events if e.entity_id.startswith("VA"))
    assert [a["value"] for a in va_event.after["added"]] == [4.25, 3.9]


def test_a_good_xlsx_lands(org: Any, db_session: Any) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Department", "Metric", "Period", "Value", "N"])
    sheet.append(["VA", "satisfaction", "FY2023-Q1", 4.5, 300])
    sheet.append(["DOS", "ease", "fy2023-q1", 3, None])
    buffer = io.BytesIO()
    book.save(buffer)
    counts = _apply(buffer.getvalue(), name="obs.xlsx")
    assert counts["added"] == 2
    values = db_session.execute(select(Observation.value, Observation.n)).all()
    assert sorted(values) == [(3.0, None), (4.5, 300.0)]


def test_reimport_updates_instead_of_duplicating_and_twice_changes_nothing(
    org: Any, db_session: Any
) -> None:
    _apply(GOOD)
    changed = GOOD.replace("4.25,120", "4.5,130")
    plan = _plan(changed)
    assert (plan.count("add"), plan.count("change"), plan.count("same")) == (0, 1, 2)
    (row,) = plan.of("change")
    assert row.row == 2 and row.before["value"] == 4.25 and row.after["value"] == 4.5
    counts = apply_plan(observation_importer(), plan, None)
    assert counts["changed"] == 1 and counts["unchanged"] == 2
    assert _count(db_session) == 3
    obs = db_session.scalar(select(Observation).where(Observation.value == 4.5))
    assert obs.n == 130.0 and obs.version == 2
    events_before = db_session.scalar(select(func.count(AuditEvent.id)))
    again = _apply(changed)
    assert again == {"added": 0, "changed": 0, "unchanged": 3, "periods_created": 0}
    assert _count(db_session) == 3
    # Only the import itself is logged; no observation event for a no-op.
    assert db_session.scalar(select(func.count(AuditEvent.id))) == events_before + 1


def test_absent_optional_columns_keep_stored_values(org: Any, db_session: Any) -> None:
    _apply(GOOD)
    plan = _plan("department,metric,period,value,service,channel\n"
                 "VA,satisfaction,FY2023-Q1,4.25,Benefits,web\n")  # fmt: skip
    assert plan.count("same") == 1 and plan.count("change") == 0


def test_a_well_formed_new_period_is_created(org: Any, db_session: Any) -> None:
    counts = _apply(HEADER + "VA,satisfaction,FY2024-Q2,4,10,,,\n")
    assert counts["periods_created"] == 1
    period = db_session.scalar(select(ReportingPeriod).where(ReportingPeriod.label == "FY2024-Q2"))
    assert str(period.start_date) == "2024-01-01" and str(period.end_date) == "2024-03-31"


def test_closed_period_rows_that_change_nothing_are_accepted(org: Any, db_session: Any) -> None:
    org["closed"].state = PeriodState.OPEN
    _apply(HEADER + "VA,satisfaction,FY2022-Q4,4,10,,,\n")
    org["closed"].state = PeriodState.CLOSED
    db_session.flush()
    assert _plan(HEADER + "VA,satisfaction,FY2022-Q4,4,10,,,\n").is_valid
    changed = _plan(HEADER + "VA,satisfaction,FY2022-Q4,4.5,10,,,\n")
    assert [(e.row, e.column) for e in changed.errors] == [(2, "period")]


def test_officer_cannot_import_into_another_department(
    org: Any, db_session: Any, make_user: Any
) -> None:
    officer = make_user("officer", departments=("VA",))
    plan = _plan(GOOD, officer)
    assert [(e.row, e.column) for e in plan.errors] == [(4, "department")]
    assert "not assigned" in plan.errors[0].reason
    assert _plan(GOOD.replace("DOS,", "VA,"), officer).is_valid
    assert _count(db_session) == 0


def test_officer_upload_in_the_browser_flow_is_refused_across_departments(
    org: Any, client: Any, login: Any, make_user: Any, db_session: Any
) -> None:
    from tests.conftest import csrf_token

    officer = make_user("officer", departments=("VA",))
    login(officer.email)
    token = csrf_token(client, "/imports/observations")
    data = {"csrf_token": token, "file": (io.BytesIO(GOOD.encode()), "obs.csv")}
    response = client.post("/imports/observations", data=data, follow_redirects=True)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "not assigned" in page and "nothing will be imported" in page
    assert _count(db_session) == 0


@pytest.mark.parametrize(
    "content",
    [
        "\ufeff" + GOOD,
        GOOD.replace("\n", "\r\n"),
        GOOD.replace(",", ";").replace("4.25", "4,25").replace("3.9", '"3,9"'),
        '"department","metric","period","value","n","service","channel","note"\r\n'
        '"VA","satisfaction","FY2023-Q1","4.25","120","Benefits","web","Online, claims"\r\n'
        '"VA","trust","FY2023-Q1","3.9","118","Benefits","web",""\r\n'
        '"DOS","speed_of_answer","FY2023-Q1","95","2000","","phone",""\r\n',
    ],
    ids=["bom", "crlf", "semicolon-decimal-comma", "quoted"],
)
def test_excel_dialects_import(org: Any, db_session: Any, content: str) -> None:
    data = content.encode("utf-8")
    counts = _apply(data)
    assert counts["added"] == 3
    values = sorted(db_session.scalars(select(Observation.value)))
    assert values == [3.9, 4.25, 95.0]


def test_ambiguous_thousands_and_formula_neutralised_cells(org: Any, db_session: Any) -> None:
    plan = _plan(HEADER + 'VA,speed_of_answer,FY2023-Q1,"1,234",10,,,\n')
    assert "not a number" in plan.errors[0].reason
    counts = _apply(HEADER + "VA,satisfaction,FY2023-Q1,4,10,,,'=SUM(A1)\n")
    assert counts["added"] == 1
    assert db_session.scalar(select(Observation.note)) == "=SUM(A1)"


def test_wrong_type_and_missing_columns_are_named(org: Any) -> None:
    assert "not a .csv or .xlsx" in str(_plan("x", name="obs.txt").errors[0])
    too_big = plan_file(observation_importer(), "obs.csv", GOOD.encode(), None, 100)
    assert "larger than the 0.0 MB limit" in str(too_big.errors[0])
    plan = _plan("department,metric,value,colour\nVA,satisfaction,4,red\n")
    assert {(e.column, e.reason) for e in plan.errors} == {
        ("period", "required column is missing")
    }  # fmt: skip
    plan = _plan("department,metric,perod,value\nVA,satisfaction,FY2023-Q1,4\n")
    assert [e.reason for e in plan.errors] == ["required column is missing (the file has 'perod'?)"]


def test_columns_not_read_are_named_in_a_warning_and_the_rest_imports(
    org: Any, app: Any, runner: Any, client: Any, login: Any, make_user: Any,
    db_session: Any, tmp_path: Path,
) -> None:  # fmt: skip
    """Issue 13: a column the import does not read is named in a warning, never ignored
    silently; a near miss of a column it reads says which one."""
    content = (
        "department,metric,period,value,chanel,colour\nVA,satisfaction,FY2023-Q1,4.25,web,red\n"
    )
    plan = _plan(content)
    assert plan.is_valid, [str(e) for e in plan.errors]
    assert plan.warnings == [
        "column 'chanel' is not read by this import and was ignored (did you mean 'channel'?)",
        "column 'colour' is not read by this import and was ignored",
    ]
    path = tmp_path / "extra.csv"
    path.write_text(content)
    with app.app_context():
        result = runner.invoke(args=["import", "observations", str(path)])
    assert result.exit_code == 0, result.output
    assert "warning: column 'chanel' is not read" in result.output and "added: 1" in result.output
    db_session.expire_all()
    assert _count(db_session) == 1
    from tests.conftest import csrf_token

    login(make_user("chief").email)
    token = csrf_token(client, "/imports/observations")
    data = {"csrf_token": token, "file": (io.BytesIO(content.encode()), "extra.csv")}
    page = client.post("/imports/observations", data=data, follow_redirects=True)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="import-warnings"' in text
    assert "(did you mean &#39;channel&#39;?)" in text


def test_unknown_names_suggest_the_nearest_known_one(org: Any) -> None:
    plan = _plan(HEADER + "VAA,satisfaction,FY2023-Q1,4,1,,,\n"
                 "VA,satisfacton,FY2023-Q1,4,1,,,\nVA,trust,FY2023-Q1,4,1,Benefit,web,\n"
                 "VA,trust,FY2023-Q1,4,1,,phnoe,\nVA,trust,FY2023-Q1,4,1,,fax,\n")  # fmt: skip
    reasons = {e.column: e.reason for e in plan.errors}
    assert reasons["department"] == "unknown department 'VAA' (did you mean 'VA'?)"
    assert reasons["metric"] == "unknown metric 'satisfacton' (did you mean 'satisfaction'?)"
    assert reasons["service"].startswith("unknown service 'Benefit' for this department (did you")
    channel = [e.reason for e in plan.errors if e.column == "channel"]
    assert channel == ["unknown channel 'phnoe' (did you mean 'phone'?)", "unknown channel 'fax'"]


def test_command_exit_codes(
    org: Any, app: Any, runner: Any, db_session: Any, tmp_path: Path
) -> None:
    # The console script (FlaskGroup) pushes an app context; the test runner does not.
    with app.app_context():
        _command_exit_codes(runner, db_session, tmp_path)


def _command_exit_codes(runner: Any, db_session: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "XYZ,satisfaction,FY2023-Q1,4,1,,,\nVA,ease,FY2023-Q1,9,1,,,\n")
    result = runner.invoke(args=["import", "observations", str(bad)])
    assert result.exit_code == 1
    assert "row 2, column department: unknown department 'XYZ'" in result.output
    assert "row 3, column value" in result.output and "nothing imported (2 errors)" in result.output
    assert _count(db_session) == 0
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    result = runner.invoke(args=["import", "observations", str(good)])
    assert result.exit_code == 0, result.output
    assert "added: 3" in result.output
    result = runner.invoke(args=["import", "observations", str(good)])
    assert result.exit_code == 0 and "added: 0" in result.output and "unchanged: 3" in result.output
    assert _count(db_session) == 3


def test_many_rows_failing_for_one_reason_are_summed_up_first(
    org: Any,
    app: Any,
    runner: Any,
    client: Any,
    login: Any,
    make_user: Any,
    db_session: Any,
    tmp_path: Path,
) -> None:
    """Issue 13: 1,801 identical period errors were listed one by one. Each reason that
    several rows share now comes first, with its count and first rows; then every row."""
    rows = "".join(f"VA,satisfaction,2023-2024,4,{k},,,\n" for k in range(1, 301))
    content = HEADER + rows + "XYZ,satisfaction,FY2023-Q1,4,1,,,\n"
    plan = _plan(content)
    (group,) = plan.error_groups
    assert (group.column, group.count, group.first_rows) == ("period", 300, [2, 3, 4, 5, 6])
    assert plan.error_count == 301
    bad = tmp_path / "bad.csv"
    bad.write_text(content)
    with app.app_context():
        result = runner.invoke(args=["import", "observations", str(bad)])
    assert result.exit_code == 1
    first = result.output.splitlines()[0]
    assert first.startswith("bad.csv: 300 rows (rows 2, 3, 4, 5, 6, ...): column period: ")
    assert "row 302, column department: unknown department 'XYZ'" in result.output
    login(make_user("chief").email)
    page = client.get("/imports/observations")
    from tests.conftest import csrf_token

    upload = client.post(
        "/imports/observations",
        data={"csrf_token": csrf_token(client, "/imports/observations"),
              "file": (io.BytesIO(content.encode()), "bad.csv")},
        content_type="multipart/form-data", follow_redirects=True,
    )  # fmt: skip
    assert page.status_code == 200 and upload.status_code == 422  # refused: nothing imported
    html = upload.get_data(as_text=True)
    assert "Reasons that several rows share" in html
    assert html.index("Reasons that several rows share") < html.index("Errors by row")
    assert "2, 3, 4, 5, 6, …" in html and '<th scope="row">300</th>' in html
    assert _count(db_session) == 0


KEYED = "department,metric,period,value,n,key,label\n"


def test_key_and_label_land_and_keep_rows_apart(org: Any, db_session: Any) -> None:
    """`key` keeps two records of one cell apart; `label` says what each is; `import_key`
    is read as `key`; a label-only change is a change; an absent label keeps the stored one."""
    content = KEYED + (
        "VA,satisfaction,FY2023-Q1,4.5,40,STD-1,Mail answered in 10 days\n"
        "VA,satisfaction,FY2023-Q1,3.5,60,STD-2,Calls answered in 60 s\n"
    )
    assert _apply(content)["added"] == 2
    stored = db_session.scalars(select(Observation).order_by(Observation.import_key)).all()
    assert [(o.import_key, o.label) for o in stored] == [
        ("STD-1", "Mail answered in 10 days"), ("STD-2", "Calls answered in 60 s")
    ]  # fmt: skip
    assert all(o.note == "" for o in stored), "a label is not a note"
    alias = "department,metric,period,value,import_key\nVA,satisfaction,FY2023-Q1,4.5,STD-1\n"
    assert _apply(alias) == {"added": 0, "changed": 0, "unchanged": 1, "periods_created": 0}
    relabel = KEYED + "VA,satisfaction,FY2023-Q1,4.5,40,STD-1,Mail answered in 5 days\n"
    assert _apply(relabel)["changed"] == 1
    db_session.expire_all()
    assert db_session.scalar(
        select(Observation.label).where(Observation.import_key == "STD-1")
    ) == "Mail answered in 5 days"  # fmt: skip


def test_key_and_label_refusals_name_the_limit_and_write_nothing(org: Any, db_session: Any) -> None:
    content = KEYED + (
        f"VA,satisfaction,FY2023-Q1,4.5,40,{'k' * 81},fine\n"
        f"VA,trust,FY2023-Q1,4.5,40,ok,{'x' * 201}\n"
        'VA,ease,FY2023-Q1,4.5,40,ok,"two\nlines"\n'
    )
    plan = _plan(content)
    found = {(e.row, e.column, e.reason) for e in plan.errors}
    assert (2, "key", "longer than 80 characters, the limit of an observation's key") in found
    assert (3, "label", "longer than 200 characters, the limit of an observation's label") in found
    assert any(row == 4 and col == "label" and "control character" in why
               for row, col, why in found)  # fmt: skip
    both = "department,metric,period,value,key,import_key\nVA,trust,FY2023-Q1,4,a,b\n"
    errors = [str(e) for e in _plan(both).errors]
    assert errors == ["row 2, column key: key 'a' and import_key 'b' differ: give the source "
                      "key in one column"]  # fmt: skip
    assert _count(db_session) == 0


def test_an_exports_descriptive_columns_are_known_not_read(org: Any, db_session: Any) -> None:
    """Names, target, status and the period's dates are accepted and change nothing: a
    wrong status or name in the file is not data."""
    header = ("department,department_name,metric,metric_name,period,value,n,target,status,"
              "period_start,period_end\n")  # fmt: skip
    row = "VA,Anything,satisfaction,Whatever,FY2023-Q1,4.5,40,1,red,2022-10-01,2022-12-31\n"
    plan = _plan(header + row)
    assert plan.errors == [] and plan.count("add") == 1
    apply_plan(observation_importer(), plan, None)
    stored = db_session.scalars(select(Observation)).one()
    assert (stored.value, stored.n, stored.note, stored.label) == (4.5, 40.0, "", "")


def test_the_upload_page_names_key_label_and_the_columns_not_read(
    org: Any, client: Any, login: Any, make_user: Any
) -> None:
    login(make_user("officer", departments=("VA",)).email)
    page = client.get("/imports/observations").get_data(as_text=True)
    assert "Optional: n, service, channel, note, key, import_key, label, standard, month." in page
    assert "(department_name, metric_name, target, status, period_start, period_end) are " \
        "accepted and not read" in page  # fmt: skip
    listing = client.get("/imports/").get_data(as_text=True)
    assert "optional: n, service, channel, note, key, import_key, label, standard, month)" in (
        listing
    )
