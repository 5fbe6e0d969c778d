"""Setting up the organization's structure in Chromium: the demo admin uploads
departments.csv and services.csv through /imports, sees each preview and confirms; then
administers departments and services by hand. axe-core runs on every page this adds.

The live server is shared by the whole browser session: this test adds the ONB*
departments of the onboarding files (which the people test imports too, so the previews
accept "already up to date") and one department of its own, H4-TEST. It changes no setting
and deactivates nothing of the demo's; it leaves its own departments inactive, so the
demo's count of active departments holds for the tests after it (the people test's import
of departments.csv, whose `active` column says yes, brings the ONB* departments back).
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from cxprogram.demo.services import DEMO_LOGINS
from tests.browser.conftest import check_accessibility, sign_in

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "onboarding"
SUMMARY = re.compile(r"(\d+) to add, (\d+) to change, (\d+) already up to date")


def _login(role: str) -> tuple[str, str]:
    found = next(login for login in DEMO_LOGINS if login.role.value == role)
    return found.email, found.password


def _import(page: Page, base: str, kind: str, file: Path) -> None:
    """Upload through /imports/<kind>, check the preview covers every row, confirm."""
    page.goto(base + "/imports/")
    page.locator("main").get_by_role("link", name=kind.title(), exact=True).click()
    check_accessibility(page)
    page.locator("input[type=file]").set_input_files(str(file))
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Preview of {file.name}")
    summary = SUMMARY.search(page.locator("main").inner_text())
    assert summary is not None, "the preview shows no summary"
    assert sum(int(n) for n in summary.groups()) == 3  # every row of the file is accounted for
    check_accessibility(page)
    page.get_by_role("button", name="Confirm import").click()
    expect(page.get_by_role("status").first).to_contain_text(f"Imported {file.name}")


def test_admin_sets_up_departments_and_services_from_files(page: Page, live_server: str) -> None:
    sign_in(page, live_server, *_login("admin"))
    _import(page, live_server, "departments", FIXTURES / "departments.csv")
    _import(page, live_server, "services", FIXTURES / "services.csv")
    page.get_by_role("navigation", name="Primary navigation").get_by_role(
        "link", name="Departments", exact=True
    ).click()  # an administrator's menu leads to the setup pages
    expect(page.get_by_role("heading", level=1)).to_have_text("Departments administration")
    table = page.get_by_role("table", name=re.compile("Active departments"))
    expect(table.get_by_role("row").filter(has_text="ONB3")).to_contain_text("ONB1")
    check_accessibility(page)
    page.goto(live_server + "/admin/departments/ONB3/edit")
    expect(page.get_by_label("Parent department")).to_have_value(re.compile(r"\d+"))
    expect(page.get_by_role("table", name="Services of ONB3")).to_contain_text("Phone, Chat")
    check_accessibility(page)
    for code in ("ONB3", "ONB2", "ONB1"):
        page.goto(live_server + f"/admin/departments/{code}/edit")
        page.get_by_role("button", name=f"Deactivate {code}").click()
        expect(page.get_by_role("status").first).to_contain_text(f"{code} is inactive")
    _sign_in_again(page, live_server, "chief")  # administrators have no view of the data
    page.goto(live_server + "/departments/ONB2")
    expect(page.locator("main")).to_contain_text("Park permits")
    check_accessibility(page)


def _sign_in_again(page: Page, base: str, role: str) -> None:
    page.get_by_role("button", name=re.compile("Sign out")).click()
    sign_in(page, base, *_login(role))


def test_admin_creates_edits_and_deactivates_a_department(page: Page, live_server: str) -> None:
    sign_in(page, live_server, *_login("admin"))
    page.goto(live_server + "/admin/departments/new")
    check_accessibility(page)
    page.get_by_label("Code", exact=True).fill("h4 test")
    page.get_by_label("Name", exact=True).fill("Browser test department")
    page.get_by_role("button", name="Create department").click()
    expect(page.get_by_role("alert")).to_contain_text("is not a valid code")
    check_accessibility(page)
    page.get_by_label("Code", exact=True).fill("h4-test")
    page.get_by_role("button", name="Create department").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Edit Browser test department (H4-TEST)"
    )
    page.get_by_role("link", name="Add a service").click()
    check_accessibility(page)
    page.get_by_label("Name", exact=True).fill("Test service")
    page.locator("label.usa-checkbox__label").filter(has_text=re.compile("^Web$")).click()
    page.get_by_role("button", name="Add service").click()
    page.get_by_role("link", name="Edit Test service").click()
    check_accessibility(page)
    page.get_by_role("button", name="Deactivate Test service").click()
    expect(page.get_by_role("table", name="Services of H4-TEST")).to_contain_text("Inactive")
    page.get_by_role("button", name="Deactivate H4-TEST").click()
    expect(page.get_by_role("status").first).to_contain_text("H4-TEST is inactive")
    check_accessibility(page)
    page.goto(live_server + "/admin/departments?status=inactive")
    expect(page.get_by_role("table", name=re.compile("Inactive departments"))).to_contain_text(
        "H4-TEST"
    )
    check_accessibility(page)
    _sign_in_again(page, live_server, "chief")
    page.goto(live_server + "/departments/H4-TEST")  # its page and history stay readable
    expect(page.locator("main")).to_contain_text("inactive")
    check_accessibility(page)


def test_settings_page_is_accessible_for_admin_and_chief(page: Page, live_server: str) -> None:
    sign_in(page, live_server, *_login("admin"))
    page.get_by_role("navigation", name="Primary navigation").get_by_role(
        "link", name="Organization"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Organization settings")
    expect(page.locator("main")).to_contain_text("The fiscal-year start is fixed")
    check_accessibility(page)
    page.get_by_label("Time zone").fill("Mars/Olympus_Mons")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("alert")).to_contain_text("is not a time zone name")
    check_accessibility(page)
    page.get_by_role("button", name=re.compile("Sign out")).click()
    sign_in(page, live_server, *_login("chief"))
    page.goto(live_server + "/admin/organization")
    expect(page.get_by_label("Data due (days after quarter end)")).to_be_visible()
    expect(page.get_by_label("Time zone")).to_have_count(0)
    check_accessibility(page)


def test_admin_adds_renames_and_retires_a_channel(page: Page, live_server: str) -> None:
    """The channel this adds is retired at the end, so the forms and the coverage matrix the
    later tests read offer what the demo has."""
    sign_in(page, live_server, *_login("admin"))
    page.goto(live_server + "/admin/departments")
    page.get_by_role("link", name="Channels and journey stages").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Channels and journey stages")
    check_accessibility(page)
    page.get_by_role("link", name="Add a channel").click()
    check_accessibility(page)
    page.get_by_label("Name", exact=True).fill("Web")
    page.get_by_role("button", name="Add channel").click()
    expect(page.get_by_role("alert")).to_contain_text("reads like 'Web' (web)")
    check_accessibility(page)
    page.get_by_label("Name", exact=True).fill("Fax line")
    page.get_by_role("button", name="Add channel").click()
    expect(page.get_by_role("status").first).to_contain_text("Added the channel Fax line")
    table = page.get_by_role("table", name=re.compile("^Channels"))
    expect(table.get_by_role("row").filter(has_text="fax_line")).to_contain_text("Current")
    page.get_by_role("link", name="Edit Fax line").click()
    check_accessibility(page)
    page.get_by_label("Name", exact=True).fill("Fax")
    page.get_by_role("button", name="Save").click()
    expect(table.get_by_role("row").filter(has_text="fax_line")).to_contain_text("Fax")
    page.get_by_role("link", name="Edit Fax", exact=True).click()
    page.get_by_role("button", name="Retire Fax").click()
    expect(page.get_by_role("status").first).to_contain_text("The channel Fax is retired")
    check_accessibility(page)
    page.goto(live_server + "/admin/vocabularies")
    expect(table.get_by_role("row").filter(has_text="fax_line")).to_contain_text("Retired")
