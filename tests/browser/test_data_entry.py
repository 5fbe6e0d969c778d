"""An officer's quarter in Chromium (issue 3): the demo officer (VA) enters the current
period's values with the keyboard alone, is blocked on a red without a note, explains it,
updates the strategy under way with a progress note, ticks a milestone and submits the plan;
the chief's completion tracker then shows VA as reported, and the chief approves the plan.
axe-core checks every page on the way."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from cxprogram.demo.services import DEMO_LOGINS
from tests.browser.conftest import check_accessibility, sign_in

OFFICER = next(login for login in DEMO_LOGINS if login.role.value == "officer")
CHIEF = next(login for login in DEMO_LOGINS if login.role.value == "chief")
GRID = "/departments/VA/periods/FY2023-Q1/entry"
SPEED = "Average speed of answer, department level"
PLAN = "/departments/VA/plan/FY2023-Q1"
CURRENT_STRATEGY = "Call-back instead of hold queues"  # the demo's strategy under way for VA
GREEN = {"Abandonment rate": "4", "First-contact resolution": "85", "Backlog age": "21"}


def test_officer_walks_the_quarter(page: Page, live_server: str) -> None:
    sign_in(page, live_server, OFFICER.email, OFFICER.password)
    check_accessibility(page)  # the officer's home
    page.get_by_role("link", name="Enter values for VA, FY2023-Q1").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(live_server + GRID)
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter values: VA, FY2023-Q1")
    check_accessibility(page)
    for name, typed in GREEN.items():  # the metrics VA has not entered yet, all green
        page.get_by_label(f"Value, {name}, department level", exact=True).focus()
        page.keyboard.type(typed)
    value = page.get_by_label(f"Value, {SPEED}", exact=True)
    value.focus()
    page.keyboard.type("300")  # target 120 s, tolerance 30: red
    page.keyboard.press("Tab")
    expect(page.get_by_label(f"n, {SPEED}", exact=True)).to_be_focused()
    page.keyboard.type("1200")
    page.keyboard.press("Tab")
    expect(page.get_by_label(f"Explanation note, {SPEED}", exact=True)).to_be_focused()
    page.keyboard.press("Enter")  # submits the form: the one Save button
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Nothing was saved: 1 cell to fix")
    expect(alert).to_contain_text(f"{SPEED}, note: the value is red against the target (120)")
    expect(page.get_by_label(f"Value, {SPEED}", exact=True)).to_have_value("300")
    check_accessibility(page)
    alert.get_by_role("link").first.focus()
    page.keyboard.press("Enter")  # the error links to the note to fill
    note = page.get_by_label(f"Explanation note, {SPEED}", exact=True)
    note.focus()
    page.keyboard.type("Phone system outage for two weeks in November.")
    page.get_by_role("button", name="Save").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Saved 4 values for FY2023-Q1")
    expect(page.get_by_label(f"Value, {SPEED}", exact=True)).to_have_value("300")
    expect(note).to_have_value("Phone system outage for two weeks in November.")
    row = page.get_by_role("row").filter(has=page.get_by_label(f"Value, {SPEED}", exact=True))
    expect(row).to_contain_text("red")
    page.get_by_role("link", name="History of VA in FY2023-Q1").click()
    expect(page.locator("main")).to_contain_text("entered Average speed of answer, VA: 300 seconds")
    expect(page.locator("main")).to_contain_text("with the note “Phone system outage")
    check_accessibility(page)
    page.get_by_role("link", name="Periods").click()
    expect(page.get_by_role("link", name="Values of VA in FY2023-Q1")).to_be_visible()
    check_accessibility(page)
    _update_strategy_and_submit_plan(page, live_server)
    # The chief's completion tracker now shows VA as reported; the chief approves the plan.
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_server, CHIEF.email, CHIEF.password)
    page.get_by_role("link", name="Completion tracker").first.click()  # from the dashboard
    tracker = page.get_by_role("table", name="Completion tracker, all departments")
    va = tracker.get_by_role("row").filter(has=page.get_by_text("Department of Veterans Affairs"))
    expect(va.get_by_role("cell").nth(0)).to_have_text("11 of 11 metrics of VA: enter values")
    expect(va.get_by_role("cell").nth(1)).to_have_text("reported")
    page.goto(live_server + PLAN)
    expect(page.locator("#state-heading")).to_contain_text("submitted")
    page.get_by_label("Approve the plan").focus()  # USWDS draws the radio on its label
    page.keyboard.press("Space")
    expect(page.get_by_label("Approve the plan")).to_be_checked()
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator("#state-heading")).to_contain_text("approved")
    check_accessibility(page)


def _update_strategy_and_submit_plan(page: Page, base: str) -> None:
    """The strategy VA has under way: a progress note, a milestone ticked, then the plan."""
    page.goto(base + PLAN)
    expect(page.locator("#state-heading")).to_contain_text("draft")
    check_accessibility(page)
    plan = page.get_by_role("table", name=re.compile("^Strategies of VA in the plan"))
    plan.get_by_role("link", name=CURRENT_STRATEGY).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(CURRENT_STRATEGY)
    page.get_by_label("What happened").fill("Vendor chosen; pilot starts in the Phoenix centre.")
    page.get_by_label("New status").select_option("on_track")
    page.get_by_label("New progress (%)").fill("40")
    page.get_by_role("button", name="Add update").click()
    expect(page.get_by_role("status").first).to_contain_text("Progress update added.")
    log = page.get_by_role("list", name="Progress updates, newest first")
    expect(log.locator("li").first).to_contain_text("pilot starts in the Phoenix centre")
    tick = page.get_by_role("button", name=re.compile(r"^Mark done\W+Pilot in one contact centre$"))
    tick.focus()
    page.keyboard.press("Enter")
    milestones = page.get_by_role("table", name="Milestones of this strategy, by due date")
    expect(milestones.get_by_role("row").filter(has_text="Pilot in one contact")).to_contain_text(
        "done"
    )
    check_accessibility(page)
    page.goto(base + PLAN)
    page.get_by_role("button", name="Submit the plan for review").click()
    expect(page.locator("#state-heading")).to_contain_text("submitted")
    check_accessibility(page)


def test_chief_pages_are_accessible(page: Page, live_server: str) -> None:
    sign_in(page, live_server, CHIEF.email, CHIEF.password)
    page.get_by_role("link", name="Completion tracker").first.click()  # from the dashboard
    expect(page.get_by_role("table", name="Completion tracker, all departments")).to_be_visible()
    check_accessibility(page)
    for path, heading in (
        ("/periods", "Reporting periods"),
        ("/metrics/satisfaction/edit", "Edit the metric satisfaction"),
        ("/metrics/new", "Add a metric"),
        ("/audit", "Export the audit log"),
        ("/departments/DOS/periods/FY2023-Q1/entry", "Values: DOS, FY2023-Q1"),  # read-only
        ("/departments/DOS/periods/FY2023-Q1/entry?edit=1", "Enter values: DOS, FY2023-Q1"),
    ):
        page.goto(live_server + path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        check_accessibility(page)
