"""Strategies in Chromium: the VA officer adds a strategy, logs a progress note and ticks a
milestone by keyboard; the chief meets a conflict page; axe-core checks every page this
feature adds. VA's plan for the demo's current period is never submitted here (another test
does that); the officer works on a strategy this test creates."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

from playwright.sync_api import Browser, Page, expect

from cxprogram.demo.services import DEMO_LOGINS
from tests.browser.conftest import check_accessibility, sign_in

OFFICER = next(login for login in DEMO_LOGINS if login.role.value == "officer")
CHIEF = next(login for login in DEMO_LOGINS if login.role.value == "chief")


def _create_strategy(page: Page, base: str, title: str) -> None:
    page.goto(base + "/strategies")
    expect(page.get_by_role("heading", level=1)).to_have_text("Strategies")
    check_accessibility(page)
    page.get_by_role("link", name="New strategy for VA").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New strategy for VA")
    check_accessibility(page)
    page.get_by_label("Title").fill(title)
    page.get_by_label("Problem it addresses").fill("Renewals need an office visit.")
    page.get_by_label("Progress (%)").fill("10")
    page.get_by_label("Start date").fill("2022-10-01")
    page.get_by_label("Effective date").fill("2022-11-15")
    page.get_by_label("End date").fill("2023-09-30")
    page.get_by_role("checkbox", name="Ease").focus()  # USWDS draws the box on the label
    page.keyboard.press("Space")
    expect(page.get_by_role("checkbox", name="Ease")).to_be_checked()
    page.get_by_role("combobox", name="Satisfaction", exact=True).select_option("higher")
    page.get_by_label("Web at Renew/advocate").check()
    page.get_by_role("button", name="Add strategy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def test_officer_updates_a_strategy_and_ticks_a_milestone(page: Page, live_server: str) -> None:
    sign_in(page, live_server, OFFICER.email, OFFICER.password)
    nav = page.get_by_role("navigation", name="Primary navigation")
    expect(nav.get_by_role("link", name="Strategies")).to_be_visible()
    title = f"Online renewals {uuid.uuid4().hex[:6]}"
    _create_strategy(page, live_server, title)
    check_accessibility(page)
    due = (date.today() + timedelta(days=30)).isoformat()
    page.get_by_label("Milestone", exact=True).fill("Launch the online renewal")
    page.get_by_label("Due date").fill(due)
    page.get_by_role("button", name="Add milestone").click()
    expect(page.get_by_role("status").first).to_contain_text("Milestone “Launch")

    # The progress note, by keyboard: type, Tab to the status, Tab to progress, Enter.
    page.get_by_label("What happened").focus()
    page.keyboard.type("Pilot opened to 500 veterans; feedback is good.")
    page.keyboard.press("Tab")
    expect(page.get_by_label("New status")).to_be_focused()
    page.get_by_label("New status").select_option("on_track")
    page.keyboard.press("Tab")
    expect(page.get_by_label("New progress (%)")).to_be_focused()
    page.keyboard.type("35")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").first).to_contain_text("Progress update added.")
    log = page.get_by_role("list", name="Progress updates, newest first")
    expect(log.locator("li").first).to_contain_text("Pilot opened to 500 veterans")
    expect(log.locator("li").first).to_contain_text("status on track, progress 35%")
    expect(page.locator(".usa-intro")).to_contain_text("Progress: 35%")

    # Tick the milestone by keyboard, on the day it was really done (yesterday).
    done_on = page.get_by_label("Done on, Launch the online renewal", exact=True)
    expect(done_on).to_have_value(date.today().isoformat())  # today by default
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    done_on.fill(yesterday)
    page.get_by_role("button", name=re.compile(r"^Mark done\W+Launch the online renewal$")).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").first).to_contain_text(f"done on {yesterday}")
    milestones = page.get_by_role("table", name="Milestones of this strategy, by due date")
    row = milestones.get_by_role("row").filter(has_text="Launch the online renewal")
    expect(row).to_contain_text("done on " + yesterday)
    check_accessibility(page)

    page.get_by_role("link", name="History of changes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("History of a strategy")
    log = page.get_by_role("list", name="Changes to the strategy, newest first")
    expect(log).to_contain_text(
        f"marked the milestone “Launch the online renewal” done on {yesterday}."
    )
    expect(log).to_contain_text(
        "posted a progress update for FY2023-Q1: “Pilot opened to 500 veterans"
    )
    check_accessibility(page)

    page.go_back()
    page.get_by_role("link", name="Cancel strategy").click()
    expect(page.get_by_label("Reason for cancelling")).to_be_visible()
    check_accessibility(page)  # looked at, not sent: the strategy stays


def test_plan_page_is_accessible_and_shows_the_state(page: Page, live_server: str) -> None:
    sign_in(page, live_server, OFFICER.email, OFFICER.password)
    page.goto(live_server + "/departments/VA")
    page.get_by_role("link", name="VA's plan and its review state").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("VA's plan for FY")
    expect(page.locator("#state-heading")).to_contain_text("Review state:")
    expect(page.get_by_role("table", name="Strategies of VA in the plan for")).to_be_visible()
    check_accessibility(page)  # the Submit button is there; this test does not press it


def test_filters_narrow_the_list(page: Page, live_server: str) -> None:
    sign_in(page, live_server, CHIEF.email, CHIEF.password)
    page.goto(live_server + "/strategies")
    expect(page.locator("tbody")).to_contain_text("VA")
    page.get_by_label("Department").select_option("DOS")
    page.get_by_label("Status").select_option("done")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"department=DOS&status=done"))
    texts = page.locator("tbody tr").all_inner_texts()
    assert len(texts) == 1, texts  # the demo has one finished strategy of DOS
    assert all(s in texts[0] for s in ("Front-line staff coaching programme", "DOS", "done"))
    check_accessibility(page)


def test_chief_sees_a_conflict_page_when_two_tabs_edit(browser: Browser, live_server: str) -> None:
    # Its own context: the 409 answer logs a console error, which the shared fixture forbids.
    context = browser.new_context()
    try:
        first, second = context.new_page(), context.new_page()
        sign_in(first, live_server, CHIEF.email, CHIEF.password)
        first.goto(live_server + "/strategies?department=DOS")
        first.get_by_role("table").locator("tbody th a").first.click()
        first.get_by_role("link", name="Edit strategy").click()
        second.goto(first.url)
        check_accessibility(second)
        second.get_by_label("Owner").fill("DOS service lead (second tab)")
        first.get_by_label("Owner").fill("DOS service lead (first tab)")
        first.get_by_role("button", name="Save").click()
        expect(first.get_by_role("status").first).to_contain_text("Saved")
        second.get_by_role("button", name="Save").click()
        alert = second.get_by_role("alert")
        expect(alert).to_contain_text("Someone else saved this strategy")
        expect(alert).to_contain_text("Owner: DOS service lead (first tab)")
        expect(second.get_by_label("Owner")).to_have_value("DOS service lead (second tab)")
        check_accessibility(second)
        _chief_reviews_plans(second, live_server)
    finally:
        context.close()


def _chief_reviews_plans(page: Page, base: str) -> None:
    """DOS has reds without notes in the demo (refused); SSA has none (sent back)."""
    page.goto(base + "/departments/DOS/plan")
    expect(page.get_by_role("heading", level=1)).to_contain_text("DOS's plan for FY")
    page.get_by_role("button", name="Submit the plan for review").click()
    expect(page.get_by_role("alert")).to_contain_text("red values without an explanation note")
    expect(page.locator("#state-heading")).to_contain_text("draft")
    check_accessibility(page)
    page.goto(base + "/departments/SSA/plan")
    page.get_by_role("button", name="Submit the plan for review").click()
    expect(page.locator("#state-heading")).to_contain_text("submitted")
    check_accessibility(page)  # with the decision form
    page.get_by_label("Ask for changes").focus()
    page.keyboard.press("Space")
    page.get_by_label("Comment for the department").fill("Add a date to each milestone.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator("#state-heading")).to_contain_text("changes requested")
    expect(page.locator("main")).to_contain_text("Add a date to each milestone.")
    check_accessibility(page)
