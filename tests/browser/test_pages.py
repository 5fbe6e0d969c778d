"""Each demo user signs in in Chromium and sees a home page that fits the role; axe-core
finds no WCAG 2.1 AA violation on any page of the foundation."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from cxprogram.demo.services import DEMO_LOGINS
from tests.browser.conftest import check_accessibility, sign_in

HOME_HEADINGS = {
    "admin": "Administration",
    "chief": "Organization dashboard",
    "officer": "Your department",
    "viewer": "Organization dashboard",
}
PAGES_BY_ROLE = {
    "admin": ["/departments", "/metrics", "/users", "/account/password"],
    "chief": ["/departments", "/metrics", "/account/password", "/tracker"],
    "officer": ["/departments", "/metrics", "/departments/VA", "/departments/DOS"],
    "viewer": ["/metrics", "/tracker"],
}


def test_sign_in_page_is_accessible(page: Page, live_server: str) -> None:
    page.goto(live_server + "/")
    expect(page).to_have_url(live_server + "/sign-in?next=/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    check_accessibility(page)


def test_failed_sign_in_is_announced_and_accessible(page: Page, live_server: str) -> None:
    sign_in(page, live_server, "nobody@example.test", "wrong password here")
    expect(page.get_by_role("alert")).to_contain_text("do not match an active account")
    check_accessibility(page)


@pytest.mark.parametrize("login", DEMO_LOGINS, ids=lambda login: login.role.value)
def test_each_role_gets_its_home_page(page: Page, live_server: str, login: object) -> None:
    role = login.role.value  # type: ignore[attr-defined]
    sign_in(page, live_server, login.email, login.password)  # type: ignore[attr-defined]
    expect(page).to_have_url(live_server + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text(HOME_HEADINGS[role])
    nav = page.get_by_role("navigation", name="Primary navigation")
    expect(nav.get_by_role("link", name="Users")).to_have_count(1 if role == "admin" else 0)
    check_accessibility(page)
    for path in PAGES_BY_ROLE[role]:
        page.goto(live_server + path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        check_accessibility(page)


def test_officer_home_names_their_department_and_due_date(page: Page, live_server: str) -> None:
    officer = next(login for login in DEMO_LOGINS if login.role.value == "officer")
    sign_in(page, live_server, officer.email, officer.password)
    expect(page.locator("main")).to_contain_text("Department of Veterans Affairs (VA)")
    expect(page.locator("main")).to_contain_text("Reporting period FY2023-Q1")
    expect(page.locator("main")).to_contain_text("Data due 2023-01-30")


def test_chief_sees_every_department_in_the_tracker(page: Page, live_server: str) -> None:
    chief = next(login for login in DEMO_LOGINS if login.role.value == "chief")
    sign_in(page, live_server, chief.email, chief.password)
    page.get_by_role("link", name="Completion tracker").first.click()  # from the dashboard
    rows = page.get_by_role("table", name="Completion tracker, all departments").locator("tbody tr")
    # the demo's 18, and those other tests on this server add (the grid test makes one)
    expect(rows.filter(has_text="VA").first).to_be_visible()
    assert rows.count() >= 18


def test_error_pages_are_accessible(page: Page, live_server: str) -> None:
    viewer = next(login for login in DEMO_LOGINS if login.role.value == "viewer")
    sign_in(page, live_server, viewer.email, viewer.password)
    response = page.goto(live_server + "/users")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="Access denied")).to_be_visible()
    check_accessibility(page)
    response = page.goto(live_server + "/no-such-page")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    check_accessibility(page)


def test_signed_out_error_page_is_accessible(page: Page, live_server: str) -> None:
    response = page.goto(live_server + "/no-such-page")
    assert response is not None and response.status == 404
    check_accessibility(page)


def test_sign_out(page: Page, live_server: str) -> None:
    chief = next(login for login in DEMO_LOGINS if login.role.value == "chief")
    sign_in(page, live_server, chief.email, chief.password)
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(live_server + "/sign-in")
    expect(page.get_by_role("status")).to_contain_text("You are signed out")


def test_officer_edits_a_service_with_the_keyboard(page: Page, live_server: str) -> None:
    officer = next(login for login in DEMO_LOGINS if login.role.value == "officer")
    sign_in(page, live_server, officer.email, officer.password)
    page.goto(live_server + "/departments/VA")
    page.get_by_role("link", name="Edit").first.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit a service of VA")
    check_accessibility(page)
    page.get_by_label("Description").fill("Surveys after every outpatient visit.")
    page.get_by_label("Chat").focus()  # USWDS hides the box itself; the keyboard still works
    page.keyboard.press("Space")
    expect(page.get_by_label("Chat")).to_be_checked()
    page.get_by_label("Description").focus()
    page.keyboard.press("Enter")  # a newline in the textarea, then submit by keyboard
    page.get_by_role("button", name="Save").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(live_server + "/departments/VA")
    expect(page.get_by_role("status")).to_contain_text("Saved")
    expect(page.locator("main")).to_contain_text("Surveys after every outpatient visit.")
