"""An officer imports observations in Chromium: a file with a bad row is refused with the
row, column and reason; a good file shows its preview and is confirmed; a row's label shows
in the grid and its source key in the row's details. The import pages, the grid and the
export page pass axe-core. Writes only VA's backlog age in FY2021-Q2, which no other
browser test reads."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from playwright.sync_api import Page, expect

from cxprogram.demo.services import DEMO_LOGINS
from tests.browser.conftest import check_accessibility, sign_in

OFFICER = next(login for login in DEMO_LOGINS if login.role.value == "officer")
HEADER = "department,metric,period,value,n,note\n"


def _file(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_officer_fixes_a_bad_file_then_confirms_the_import(
    page: Page, live_server: str, tmp_path: Path
) -> None:
    sign_in(page, live_server, OFFICER.email, OFFICER.password)
    page.get_by_role("navigation", name="Primary navigation").get_by_role(
        "link", name="Import"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import from a file")
    check_accessibility(page)
    page.get_by_role("link", name="Observations").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import observations")
    check_accessibility(page)

    bad = _file(
        tmp_path, "bad.csv", "VA,backlog_age,FY2021-Q2,12,40,\nVA,happiness,FY2021-Q2,3,,\n"
    )
    page.locator("input[type=file]").set_input_files(str(bad))
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("alert")).to_contain_text("1 error: nothing will be imported")
    errors = page.get_by_role("table", name="Errors by row (row 1 is the header)")
    expect(errors.get_by_role("row").nth(1)).to_contain_text("3")
    expect(errors).to_contain_text("metric")
    expect(errors).to_contain_text("unknown metric 'happiness'")
    check_accessibility(page)

    page.get_by_role("link", name="Upload a corrected file").click()
    good = _file(tmp_path, "good.csv", "VA,backlog_age,FY2021-Q2,12,40,=from the queue\n")
    page.locator("input[type=file]").set_input_files(str(good))
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Preview of good.csv")
    expect(page.locator("main")).to_contain_text("1 to add, 0 to change")
    expect(page.get_by_role("table", name="Rows to add (1)")).to_contain_text(
        "VA backlog_age FY2021-Q2"
    )
    check_accessibility(page)
    page.get_by_role("button", name="Confirm import").click()
    expect(page.get_by_role("status")).to_contain_text("Imported good.csv: 1 added")

    # The same file again changes nothing.
    page.goto(live_server + "/imports/observations")
    page.locator("input[type=file]").set_input_files(str(good))
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("main")).to_contain_text("0 to add, 0 to change, 1 already up to date")


def test_export_page_is_accessible_and_offers_downloads(page: Page, live_server: str) -> None:
    sign_in(page, live_server, OFFICER.email, OFFICER.password)
    page.get_by_role("navigation", name="Primary navigation").get_by_role(
        "link", name="Export"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Export")
    check_accessibility(page)
    page.get_by_label("Fiscal year").select_option("2021")
    page.get_by_label("Quarter").select_option("2")
    page.get_by_label("Department").select_option("VA")
    page.get_by_role("button", name="Apply filter").click()
    table = page.get_by_role("table")
    expect(table).to_contain_text("Observations as CSV")
    check_accessibility(page)
    with page.expect_download() as info:
        page.get_by_role("link", name="Observations as CSV").click()
    download = info.value
    assert download.suggested_filename == "observations-2021-2-VA.csv"
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    assert text.startswith("department,department_name,metric,metric_name,period,")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["department"] for r in rows} == {"VA"} and {r["period"] for r in rows} == {
        "FY2021-Q2"
    }
    satisfaction = next(r for r in rows if r["metric"] == "satisfaction")
    assert satisfaction["metric_name"] == "Satisfaction" and satisfaction["target"] == "4"
    assert satisfaction["status"] in ("green", "amber", "red")
    assert (satisfaction["period_start"], satisfaction["period_end"]) == (
        "2021-01-01",
        "2021-03-31",
    )


def test_an_imported_label_shows_in_the_grid_and_its_key_in_the_details(
    page: Page, live_server: str, tmp_path: Path
) -> None:
    sign_in(page, live_server, OFFICER.email, OFFICER.password)
    path = tmp_path / "keyed.csv"
    path.write_text("department,metric,period,value,n,key,label\n"
                    "VA,backlog_age,FY2021-Q2,20,15,STD-B1,Cases closed within 30 days\n",
                    encoding="utf-8")  # fmt: skip
    page.goto(live_server + "/imports/observations")
    page.locator("input[type=file]").set_input_files(str(path))
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("table", name="Rows to add (1)")).to_contain_text("[STD-B1]")
    page.get_by_role("button", name="Confirm import").click()
    expect(page.get_by_role("status")).to_contain_text("1 added")
    page.goto(live_server + "/departments/VA/periods/FY2021-Q2/entry")
    row = page.get_by_role("row").filter(has_text="Cases closed within 30 days")
    expect(row).to_have_count(1)
    details = row.locator("details")
    expect(details).not_to_have_attribute("open", "")
    details.get_by_text("Details").click()
    expect(details).to_contain_text("Source key: STD-B1")
    check_accessibility(page)
