"""Service standards in Chromium: the administrator adds a standard to one of VA's services
(a refusal first, on its field), the officer enters a value on the standard's row and sees
it judged against the standard's own target, not the metric's; axe-core clean on the new
pages. 60 % is red against within_standard's target (80, amber within 5) and green
against this standard's 50."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import check_accessibility
from tests.browser.test_grid import PERIOD, _sign_in_as

CODE = "VA-BROWSER-01"


def test_admin_adds_a_standard_and_the_officer_sees_its_own_status(
    page: Page, live_server: str
) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    _sign_in_as(page, live_server, "admin")
    page.goto(f"{live_server}/admin/departments/VA/edit")
    page.get_by_role("link", name=re.compile("^Standards of ")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Service standards of")
    check_accessibility(page)
    page.get_by_role("link", name="Add a standard").click()
    check_accessibility(page)
    page.get_by_label("Code", exact=True).fill(CODE)
    page.get_by_label("Text (the promise as published)").fill("Decide within 30 days")
    expect(page.get_by_label("Metric", exact=True)).to_have_value("within_standard")
    page.get_by_label("Target", exact=True).fill("500")
    page.get_by_role("button", name="Add standard").click()
    expect(page.locator(".usa-error-message")).to_contain_text("outside the metric's scale")
    check_accessibility(page)  # the refusal on its field
    page.get_by_label("Target", exact=True).fill("50")
    page.get_by_role("button", name="Add standard").click()
    expect(page.get_by_role("table", name=re.compile("^Standards of "))).to_contain_text(CODE)
    check_accessibility(page)
    page.get_by_role("link", name=f"Edit {CODE}").click()
    expect(page.get_by_role("button", name=f"Retire {CODE}")).to_be_visible()
    check_accessibility(page)

    _sign_in_as(page, live_server, "officer")
    page.goto(f"{live_server}/departments/VA/periods/{PERIOD}/entry")
    value = page.get_by_label(re.compile(f"^Value, Within standard, .*standard {CODE}$"))
    value.fill("60")
    page.get_by_label(re.compile(f"^n, Within standard, .*standard {CODE}$")).fill("120")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").first).to_contain_text("Saved 1 value")
    row = page.get_by_role("row").filter(has_text=f"standard {CODE}")
    expect(row).to_contain_text("its own target 50.0")
    expect(row.locator(".cx-status")).to_have_text("green")  # 60 >= 50: met
    check_accessibility(page)
