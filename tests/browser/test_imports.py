"""An officer imports observations in Chromium: a file with a bad row is refused with the
row, column and reason; a good file shows its preview and is confirmed. The import pages and
the export page pass axe-core. Writes only VA's backlog age in FY2021-Q2, which no other
browser test reads."""

from __future__ import annotations

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
    assert text.startswith("department,metric,period,value")
    assert "VA,satisfaction,FY2021-Q2" in text and "2021-01-01,2021-03-31" in text
    assert "DOS," not in text
