"""The look of a public-sector tool in Chromium (issue 12, items 7 and 9): the demo is a
federal organization, so its pages carry the USWDS banner, which opens by keyboard; the
identifier names the organization; no page asks for a file that is not there (the favicon
included); the histories read as sentences; axe-core finds nothing on any of them."""

from __future__ import annotations

from playwright.sync_api import Page, Response, expect

from cxprogram.demo.services import DEMO_LOGINS, DEMO_ORG_NAME
from tests.browser.conftest import check_accessibility, sign_in

OFFICER = next(login for login in DEMO_LOGINS if login.role.value == "officer")
BANNER = "An official website of the United States government"


def _missing(page: Page) -> list[str]:
    """Every 404 answer the page receives from now on (documents, images, icons...)."""
    missing: list[str] = []

    def seen(response: Response) -> None:
        if response.status == 404:
            missing.append(response.url)

    page.on("response", seen)
    return missing


def test_banner_opens_by_keyboard_and_the_identifier_names_the_organization(
    page: Page, live_server: str
) -> None:
    missing = _missing(page)
    sign_in(page, live_server, OFFICER.email, OFFICER.password)
    banner = page.get_by_role("region", name="Official website of the United States government")
    expect(banner).to_contain_text(BANNER)
    explain = banner.get_by_role("button", name="Here’s how you know")
    expect(explain).to_have_attribute("aria-expanded", "false")
    expect(banner.get_by_text("Official websites use .gov")).to_be_hidden()
    explain.focus()
    page.keyboard.press("Enter")
    expect(explain).to_have_attribute("aria-expanded", "true")
    expect(banner.get_by_text("Official websites use .gov")).to_be_visible()
    expect(banner.get_by_text("Secure .gov websites use HTTPS")).to_be_visible()
    check_accessibility(page)  # opened
    identifier = page.get_by_role("contentinfo")
    expect(identifier).to_contain_text(DEMO_ORG_NAME)
    expect(identifier).to_contain_text("an official website of the United States government")
    for href in page.locator('link[rel="icon"]').evaluate_all("ls => ls.map(l => l.href)"):
        assert page.request.get(href).status == 200, href
    assert page.request.get(live_server + "/favicon.ico").status == 200
    assert missing == []


def test_histories_read_as_sentences_and_are_accessible(page: Page, live_server: str) -> None:
    missing = _missing(page)
    sign_in(page, live_server, OFFICER.email, OFFICER.password)
    page.goto(live_server + "/departments/VA/periods/FY2023-Q1/history")  # the latest open
    expect(page.get_by_role("heading", level=1)).to_have_text("History: VA, FY2023-Q1")
    log = page.get_by_role("list", name="Changes, newest first")
    expect(log).to_contain_text("A command or scheduled job imported")  # the demo's A-11 load
    expect(log).to_contain_text("of VA for FY2023-Q1 from a11-")
    expect(log).not_to_contain_text("observations VA/")  # the event's entity, never shown
    check_accessibility(page)

    page.goto(live_server + "/strategies?department=VA")
    page.locator("tbody a").first.click()
    page.get_by_label("What happened").fill("Call-backs now offered on every line.")
    page.get_by_role("button", name="Add update").click()
    expect(page.get_by_role("status").first).to_contain_text("Progress update added.")
    title = page.get_by_role("heading", level=1).inner_text()
    page.get_by_role("link", name="History of changes").click()
    own = page.get_by_role("list", name="Changes to the strategy, newest first")
    expect(own.locator("> li").first).to_contain_text(
        "Olivia Officer posted a progress update for FY2023-Q1: "
        "“Call-backs now offered on every line.”"
    )
    check_accessibility(page)

    page.goto(live_server + "/departments/VA/periods/FY2023-Q1/history")
    period = page.get_by_role("list", name="Changes, newest first")
    expect(period.locator("> li").first).to_contain_text(
        f"posted a progress update on the strategy “{title}”"
    )
    assert missing == []
