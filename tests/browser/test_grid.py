"""The data-entry grid of issue 12 in Chromium: a department the administrator creates with
one service on three channels shows its rows at once (no "Add a row"); typed values survive
"Add a row" and leaving with unsaved changes asks first; a channel the service does not
offer is refused with the reason; the grid is used with the keyboard alone, is axe-core
clean and, at 1280 x 800, has no horizontal scroll (measured).

The department this adds, GRID-T, is left inactive at the end, so the demo's count of
active departments holds for the tests after it (as test_admin_org does with its own)."""

from __future__ import annotations

import re

from playwright.sync_api import Dialog, Page, expect

from cxprogram.demo.services import DEMO_LOGINS
from tests.browser.conftest import check_accessibility, sign_in

PERIOD = "FY2023-Q1"  # the demo's latest open period
CODE = "GRID-T"
SERVICE = "Permit renewals"
CHANNELS = ("Web", "Phone", "In person")
SURVEY = ("Satisfaction", "Trust/confidence", "Ease")


def _login(role: str) -> tuple[str, str]:
    found = next(login for login in DEMO_LOGINS if login.role.value == role)
    return found.email, found.password


def _sign_in_as(page: Page, base: str, role: str) -> None:
    if page.get_by_role("button", name=re.compile("^Sign out")).count():
        page.get_by_role("button", name=re.compile("^Sign out")).click()
    sign_in(page, base, *_login(role))


def _no_horizontal_scroll(page: Page) -> None:
    """At 1280 x 800: the document does not scroll sideways and the grid stays inside the
    layout's column (measured, not assumed)."""
    sizes = page.evaluate(
        """() => {
          const doc = document.documentElement, table = document.querySelector('table.cx-grid');
          const main = document.querySelector('main').getBoundingClientRect();
          const box = table.getBoundingClientRect();
          const cells = [...table.querySelectorAll('input.usa-input')].map(
            i => i.getBoundingClientRect().right);
          return {scroll: doc.scrollWidth, client: doc.clientWidth, tableRight: box.right,
                  tableWidth: table.scrollWidth, tableBox: box.width, mainRight: main.right,
                  widestInput: Math.max(0, ...cells)};
        }"""
    )
    assert sizes["scroll"] <= sizes["client"], sizes
    assert sizes["tableWidth"] <= sizes["tableBox"] + 1, sizes
    assert sizes["tableRight"] <= sizes["mainRight"] + 1, sizes
    assert sizes["widestInput"] <= sizes["tableRight"] + 1, sizes


def test_a_new_department_shows_its_rows_at_once(page: Page, live_server: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    _sign_in_as(page, live_server, "admin")
    page.goto(live_server + "/admin/departments/new")
    page.get_by_label("Code", exact=True).fill(CODE)
    page.get_by_label("Name", exact=True).fill("Grid test department")
    page.get_by_role("button", name="Create department").click()
    page.get_by_role("link", name="Add a service").click()
    page.get_by_label("Name", exact=True).fill(SERVICE)
    for channel in CHANNELS:
        label = page.locator("label.usa-checkbox__label")
        label.filter(has_text=re.compile(f"^{channel}$")).click()
    page.get_by_role("button", name="Add service").click()
    expect(page.get_by_role("table", name=f"Services of {CODE}")).to_contain_text(SERVICE)
    _sign_in_as(page, live_server, "chief")
    grid = f"{live_server}/departments/{CODE}/periods/{PERIOD}/entry"
    page.goto(grid)  # a chief opens it read-only: the same rows, no inputs
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Values: {CODE}, {PERIOD}")
    table = page.get_by_role("table", name=re.compile(f"^Values of {CODE}"))
    expect(table.get_by_role("textbox")).to_have_count(0)
    for channel in CHANNELS:
        expect(table.get_by_role("rowheader", name=f"{SERVICE}, {channel}")).to_have_count(11)
    check_accessibility(page)
    _no_horizontal_scroll(page)
    page.get_by_role("link", name=f"Change the values of {CODE}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Enter values: {CODE}, {PERIOD}")
    for metric in SURVEY:  # every row there before anyone pressed "Add a row"
        for channel in CHANNELS:
            expect(page.get_by_label(f"Value, {metric}, {SERVICE}, {channel}", exact=True)
                   ).to_be_visible()  # fmt: skip
        expect(page.get_by_label(f"Value, {metric}, department level", exact=True)).to_be_visible()
    expect(page.locator("input[name=row]")).to_have_count(11 * 4)
    check_accessibility(page)
    _no_horizontal_scroll(page)
    # With the keyboard alone: a value, Tab to n, Tab to the note, Enter saves.
    web = f"Satisfaction, {SERVICE}, Web"
    page.get_by_label(f"Value, {web}", exact=True).focus()
    page.keyboard.type("4.567")
    page.keyboard.press("Tab")
    expect(page.get_by_label(f"n, {web}", exact=True)).to_be_focused()
    page.keyboard.type("250")
    page.keyboard.press("Tab")
    expect(page.get_by_label(f"Explanation note, {web}", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").first).to_contain_text(f"Saved 1 value for {PERIOD}")
    expect(page.get_by_label(f"Value, {web}", exact=True)).to_have_value("4.57")  # 2 decimals
    _refuse_a_channel_not_offered(page)
    _sign_in_as(page, live_server, "admin")
    page.goto(f"{live_server}/admin/departments/{CODE}/edit")
    page.get_by_role("button", name=f"Deactivate {CODE}").click()
    expect(page.get_by_role("status").first).to_contain_text(f"{CODE} is inactive")


def _refuse_a_channel_not_offered(page: Page) -> None:
    """Add a row on a channel the service does not offer: refused, with the reason."""
    page.get_by_label("Service", exact=True).select_option(label=SERVICE)
    page.get_by_label("Channel", exact=True).select_option(label="Chat")
    page.get_by_role("button", name="Add a row").click()
    expect(page.get_by_role("alert")).to_contain_text(
        f"Not added: the service '{SERVICE}' is not offered through the channel 'Chat'"
    )
    expect(page.get_by_label(f"Value, Satisfaction, {SERVICE}, Chat", exact=True)).to_have_count(0)
    check_accessibility(page)


def test_typed_values_survive_add_a_row_and_leaving_asks_first(
    page: Page, live_server: str
) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    _sign_in_as(page, live_server, "officer")
    page.goto(f"{live_server}/departments/VA/periods/{PERIOD}/entry")
    check_accessibility(page)
    _no_horizontal_scroll(page)
    backlog = page.get_by_label("Value, Backlog age, department level", exact=True)
    backlog.focus()
    page.keyboard.press("Control+a")  # the officer's quarter test may have saved one
    page.keyboard.type("19")
    note = page.get_by_label("Explanation note, Backlog age, department level", exact=True)
    note.focus()
    page.keyboard.press("Control+a")
    page.keyboard.type("typed, not yet saved")
    # "Add a row" with the keyboard alone: the department as a whole, on the phone.
    page.get_by_label("Metric", exact=True).focus()
    page.keyboard.type("Backlog")  # a select jumps to the option typed
    page.get_by_label("Channel", exact=True).focus()
    page.keyboard.type("Phone")
    page.get_by_role("button", name="Add a row").focus()
    page.keyboard.press("Enter")
    added = page.get_by_label("Value, Backlog age, department level, Phone", exact=True)
    expect(added).to_be_focused()  # the new row, ready to type into
    expect(backlog).to_have_value("19")
    expect(note).to_have_value("typed, not yet saved")
    check_accessibility(page)
    # Leaving now asks first; staying keeps everything.
    asked: list[str] = []

    def stay(dialog: Dialog) -> None:
        asked.append(dialog.type)
        dialog.dismiss()

    page.once("dialog", stay)
    page.get_by_role("link", name="Department page").click(no_wait_after=True)
    page.wait_for_timeout(500)
    assert asked == ["beforeunload"]
    expect(page).to_have_url(re.compile(r"/entry$"))
    expect(backlog).to_have_value("19")
    # Saving leaves without asking; a saved grid does not ask either.
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").first).to_contain_text("Saved 1 value")
    page.on("dialog", lambda dialog: asked.append(dialog.type) or dialog.dismiss())
    page.get_by_role("link", name="Department page").click()
    expect(page).to_have_url(re.compile(r"/departments/VA$"))
    assert asked == ["beforeunload"]
