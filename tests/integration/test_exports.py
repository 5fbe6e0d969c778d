"""Exports: CSV and XLSX filtered by year, quarter and department, the period's dates in
each row, formula cells neutralised, readable departments only, names, target and status
beside the codes, the XLSX's bold frozen header and widths, numbers alike in both formats,
and an exported observations file imports back to exactly the same data, warning nothing."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date
from typing import Any

import openpyxl
import pytest
from sqlalchemy import delete, func, select

from cxprogram.imports.framework import apply_plan, plan_file
from cxprogram.imports.observations import observation_importer
from cxprogram.metrics.models import MetricDefinition, Observation
from cxprogram.metrics.queries import metric_rule
from cxprogram.models import Service, Strategy
from cxprogram.strategies.models import StrategyStatus

DATA = (
    "department,metric,period,value,n,service,channel,note\n"
    'VA,satisfaction,FY2023-Q1,4.25,120,-Express lane,web,=HYPERLINK("x")\n'
    "VA,trust,FY2023-Q2,3.9,118,,,+plus and @at\n"
    "DOS,speed_of_answer,FY2023-Q1,95.5,2000,,phone,\n"
    "DOS,ease,FY2022-Q4,0.1234567890123,,,,\n"
)


@pytest.fixture
def org(
    db_session: Any, make_settings: Any, make_metrics: Any, make_department: Any, make_period: Any
) -> dict[str, Any]:
    make_settings()
    make_metrics()
    va, dos = make_department("VA"), make_department("DOS")
    db_session.add(Service(department=va, name="-Express lane"))
    for label in ("FY2022-Q4", "FY2023-Q1", "FY2023-Q2"):
        make_period(label)
    db_session.flush()
    _import(DATA.replace("0.1234567890123", "1.1234567890123"))
    return {"va": va, "dos": dos}


def _import(content: str | bytes, name: str = "obs.csv") -> dict[str, int]:
    data = content.encode() if isinstance(content, str) else content
    plan = plan_file(observation_importer(), name, data, None, 20 * 1024 * 1024)
    assert plan.is_valid, [str(e) for e in plan.errors]
    return apply_plan(observation_importer(), plan, None)


def _snapshot(db_session: Any) -> list[tuple[Any, ...]]:
    db_session.expire_all()
    rows = db_session.execute(
        select(Observation.department_id, Observation.metric_id, Observation.period_id,
               Observation.service_id, Observation.channel_id, Observation.import_key,
               Observation.value, Observation.n, Observation.note, Observation.label)
    ).all()  # fmt: skip
    return sorted((tuple(r) for r in rows), key=repr)


def _csv_rows(response: Any) -> list[dict[str, str]]:
    text = response.get_data().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_export_has_period_dates_and_neutralised_cells(
    org: Any, client: Any, login: Any, make_user: Any
) -> None:
    login(make_user("chief").email)
    response = client.get("/exports/observations.csv?fiscal_year=2023&quarter=1")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.get_data().startswith("\ufeff".encode())
    rows = _csv_rows(response)
    assert [(r["department"], r["metric"], r["period"]) for r in rows] == [
        ("DOS", "speed_of_answer", "FY2023-Q1"), ("VA", "satisfaction", "FY2023-Q1"),
    ]  # fmt: skip
    assert {(r["period_start"], r["period_end"]) for r in rows} == {("2022-10-01", "2022-12-31")}
    va = rows[1]
    assert va["note"] == '\'=HYPERLINK("x")' and va["service"] == "'-Express lane"
    assert va["value"] == "4.25" and va["n"] == "120", "a whole n is written as one"


def test_department_filter_and_year_filter(
    org: Any, client: Any, login: Any, make_user: Any
) -> None:
    login(make_user("chief").email)
    rows = _csv_rows(client.get("/exports/observations.csv?department=VA"))
    assert {r["department"] for r in rows} == {"VA"} and len(rows) == 2
    rows = _csv_rows(client.get("/exports/observations.csv?fiscal_year=2022"))
    assert [r["period"] for r in rows] == ["FY2022-Q4"]
    assert client.get("/exports/observations.csv?quarter=7").status_code == 400
    assert client.get("/exports/observations.pdf").status_code == 404
    assert client.get("/exports/observations.csv?department=%00").status_code == 400


def test_viewer_exports_only_readable_departments(
    org: Any, client: Any, login: Any, make_user: Any
) -> None:
    viewer = make_user("viewer", departments=("VA",))
    login(viewer.email)
    rows = _csv_rows(client.get("/exports/observations.csv"))
    assert {r["department"] for r in rows} == {"VA"}
    assert client.get("/exports/observations.csv?department=DOS").status_code == 403
    moved = client.get("/exports?department=DOS")  # the page lives at /exports/
    assert moved.status_code == 308
    assert moved.headers["Location"] == "http://localhost/exports/?department=DOS"
    assert client.get("/exports/?department=DOS").status_code == 403
    page = client.get("/exports/").get_data(as_text=True)
    assert "(VA)" in page and "(DOS)" not in page


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exported_observations_import_back_to_the_same_data(
    org: Any, client: Any, login: Any, make_user: Any, db_session: Any, fmt: str
) -> None:
    login(make_user("chief").email)
    before = _snapshot(db_session)
    exported = client.get(f"/exports/observations.{fmt}").get_data()
    # Importing it onto the same data changes nothing...
    assert _import(exported, f"export.{fmt}")["unchanged"] == len(before) == 4
    # ...and into an empty table it recreates exactly the same rows.
    db_session.execute(delete(Observation))
    counts = _import(exported, f"export.{fmt}")
    assert counts["added"] == 4
    assert _snapshot(db_session) == before


def test_xlsx_keeps_numbers_and_dates(org: Any, client: Any, login: Any, make_user: Any) -> None:
    login(make_user("chief").email)
    response = client.get("/exports/observations.xlsx?department=DOS")
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert header[:5] == ("department", "department_name", "metric", "metric_name", "period")
    first = dict(zip(header, rows[0], strict=True))
    assert first["value"] == 1.1234567890123 and first["period_start"].date() == date(2022, 7, 1)


def test_strategies_export_filters_by_period_and_neutralises(
    org: Any, client: Any, login: Any, make_user: Any, db_session: Any
) -> None:
    db_session.add_all([
        Strategy(department=org["va"], title="=Shorter forms", status=StrategyStatus.ON_TRACK,
                 start_date=date(2022, 11, 1), end_date=date(2023, 6, 30)),
        Strategy(department=org["dos"], title="Later", start_date=date(2024, 1, 1)),
    ])  # fmt: skip
    db_session.flush()
    login(make_user("chief").email)
    rows = _csv_rows(client.get("/exports/strategies.csv?fiscal_year=2023&quarter=1"))
    assert [r["title"] for r in rows] == ["'=Shorter forms"]
    assert rows[0]["status"] == "on_track" and rows[0]["period"] == "FY2023-Q1"
    assert (rows[0]["period_start"], rows[0]["period_end"]) == ("2022-10-01", "2022-12-31")
    all_rows = _csv_rows(client.get("/exports/strategies.csv"))
    assert len(all_rows) == 2 and all_rows[0]["period"] == ""
    book = openpyxl.load_workbook(io.BytesIO(client.get("/exports/strategies.xlsx").get_data()))
    assert [r[2] for r in book.active.iter_rows(min_row=2, values_only=True)] == [
        "Later", "'=Shorter forms"
    ]  # fmt: skip


def test_export_page_lists_links_for_every_role(
    org: Any, client: Any, login: Any, make_user: Any
) -> None:
    login(make_user("officer", departments=("VA",)).email)
    page = client.get("/exports/?fiscal_year=2023").get_data(as_text=True)
    assert 'href="/exports/observations.csv?fiscal_year=2023"' in page
    assert 'href="/exports/strategies.xlsx?fiscal_year=2023"' in page
    assert ">Export<" in page
    assert client.get("/exports/?fiscal_year=1066").status_code == 400


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_demo_export_imports_back_unchanged(
    runner: Any, client: Any, login: Any, make_user: Any, db_session: Any, fmt: str
) -> None:
    """The real A-11 data (several collections of one service share a cell: import_key).
    Numbers are written at full precision: with openpyxl's 16 digits, 839 of the demo's
    2,813 rows read back from the XLSX as "to change"."""
    assert runner.invoke(args=["demo"]).exit_code == 0
    login(make_user("chief").email)
    exported = client.get(f"/exports/observations.{fmt}").get_data()
    total = db_session.scalar(select(func.count(Observation.id)))
    plan = plan_file(observation_importer(), f"demo.{fmt}", exported, None, 20 * 1024 * 1024)
    assert plan.errors == [] and total > 1000
    assert (plan.count("add"), plan.count("change"), plan.count("same")) == (0, 0, total)


def _xlsx_rows(response: Any) -> list[dict[str, Any]]:
    return _xlsx_rows_of(openpyxl.load_workbook(io.BytesIO(response.get_data())).active)


def test_export_names_target_and_status_beside_the_codes(
    org: Any, client: Any, login: Any, make_user: Any, db_session: Any
) -> None:
    """Names beside codes; the metric's target; the status the grid's own rule decides."""
    login(make_user("chief").email)
    rows = _csv_rows(client.get("/exports/observations.csv"))
    by = {(r["department"], r["metric"]): r for r in rows}
    va, dos = org["va"], org["dos"]
    assert by[("VA", "trust")]["department_name"] == va.name
    assert by[("DOS", "ease")]["department_name"] == dos.name
    assert by[("VA", "trust")]["metric_name"] == "Trust/confidence"
    assert by[("VA", "satisfaction")]["target"] == "4"
    assert by[("DOS", "speed_of_answer")]["target"] == "120"
    statuses = {key: r["status"] for key, r in by.items()}
    assert statuses == {("VA", "satisfaction"): "green", ("VA", "trust"): "amber",
                        ("DOS", "speed_of_answer"): "green", ("DOS", "ease"): "red"}  # fmt: skip
    for (_, code), row in by.items():  # the one rule, not a copy of it
        metric = db_session.scalar(select(MetricDefinition).where(MetricDefinition.code == code))
        assert row["status"] == metric_rule(metric).status(float(row["value"]))


def test_xlsx_has_a_bold_frozen_header_and_column_widths(
    org: Any, client: Any, login: Any, make_user: Any
) -> None:
    login(make_user("chief").email)
    data = client.get("/exports/observations.xlsx").get_data()
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet.freeze_panes == "A2"
    header = next(sheet.iter_rows(max_row=1))
    assert all(cell.font.b for cell in header) and not sheet["A2"].font.b
    widths = {c.value: sheet.column_dimensions[c.column_letter].width for c in header}
    assert widths["department_name"] >= 30 and widths["note"] >= 40 and widths["status"] >= 8
    rows = _xlsx_rows_of(sheet)
    trust = next(r for r in rows if r["metric"] == "trust")
    assert (trust["department_name"], trust["metric_name"]) == (org["va"].name, "Trust/confidence")
    assert (trust["target"], trust["status"]) == (4, "amber")
    # The same, read as the XML any spreadsheet reads
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        sheet_xml = book.read("xl/worksheets/sheet1.xml").decode()
        styles = book.read("xl/styles.xml").decode()
    assert '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>' in sheet_xml
    assert sheet_xml.index("<cols>") < sheet_xml.index("<sheetData>")
    bold = re.search(r'<c r="A1" s="(\d+)"', sheet_xml)
    assert bold is not None
    xfs = re.findall(r"<xf [^>]*>", styles.split("<cellXfs")[1])
    font = int(re.search(r'fontId="(\d+)"', xfs[int(bold.group(1))]).group(1))  # type: ignore[union-attr]
    assert "<b/>" in re.findall(r"<font>.*?</font>", styles)[font]


def _xlsx_rows_of(sheet: Any) -> list[dict[str, Any]]:
    header, *rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_csv_and_xlsx_numbers_agree(org: Any, client: Any, login: Any, make_user: Any) -> None:
    """The same digits in both formats; in the XLSX numbers are numbers, whole ones ints."""
    login(make_user("chief").email)
    csv_rows = _csv_rows(client.get("/exports/observations.csv"))
    xlsx_rows = _xlsx_rows(client.get("/exports/observations.xlsx"))
    assert len(csv_rows) == len(xlsx_rows) == 4
    for text_row, typed_row in zip(csv_rows, xlsx_rows, strict=True):
        for column in ("value", "n", "target"):
            text, typed = text_row[column], typed_row[column]
            if text == "":
                assert typed is None
                continue
            assert isinstance(typed, int | float) and not isinstance(typed, bool), column
            assert text == str(typed), (column, text, typed)
    values = {r["value"] for r in csv_rows}
    assert "1.1234567890123" in values and "95.5" in values, "full precision"


KEYED = (
    "department,metric,period,value,n,service,channel,key,label\n"
    "VA,satisfaction,FY2023-Q2,4.5,40,,,STD-001,Answer mail within 10 days\n"
    'VA,satisfaction,FY2023-Q2,3.5,60,,,STD-002,"Answer calls in 60 s, 80 % of the time"\n'
)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_key_and_label_round_trip_through_export_and_import(
    org: Any, client: Any, login: Any, make_user: Any, db_session: Any, fmt: str
) -> None:
    """Keys keep two rows of one cell apart, labels say what each is; the export carries
    both, and imported back unchanged it writes nothing, refuses nothing, warns nothing."""
    assert _import(KEYED)["added"] == 2
    login(make_user("chief").email)
    response = client.get(f"/exports/observations.{fmt}?fiscal_year=2023&quarter=2")
    rows = _csv_rows(response) if fmt == "csv" else _xlsx_rows(response)
    keyed = [(r["key"], r["label"]) for r in rows if r["key"]]
    assert keyed == [("STD-001", "Answer mail within 10 days"),
                     ("STD-002", "Answer calls in 60 s, 80 % of the time")]  # fmt: skip
    before = _snapshot(db_session)
    plan = plan_file(observation_importer(), f"back.{fmt}", response.get_data(), None, 2**24)
    assert plan.errors == [] and getattr(plan, "warnings", []) == []
    assert (plan.count("add"), plan.count("change"), plan.count("same")) == (0, 0, len(rows))
    apply_plan(observation_importer(), plan, None)
    assert _snapshot(db_session) == before
    labels = db_session.scalars(select(Observation.label).where(Observation.import_key != ""))
    assert sorted(labels) == ["Answer calls in 60 s, 80 % of the time",
                              "Answer mail within 10 days"]  # fmt: skip
