"""Issue 12's first acceptance test in Chromium: a new officer, on the demo's latest open
period, goes from the home page to a submitted plan (7 survey metrics x 3 services entered,
one red explained, one strategy progress update) in at most 5 page loads and 3 form
submissions; the test counts both and fails above them. The grid says what is left after
the save, with links; the cover note reaches the chief's queue, escaped. axe-core checks
every page on the way, and the steps are taken with the keyboard.

It runs on a demo database of its own: the shared server's plans belong to other tests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, Request, expect

from cxprogram.demo.services import DEMO_LOGINS
from tests.browser.conftest import _cli, _free_port, _wait_for, check_accessibility, sign_in

CHIEF = next(login for login in DEMO_LOGINS if login.role.value == "chief")
NEW_OFFICER = ("nadia.new@demo.cxprogram.test", "new-officer-password")
CODE, PERIOD = "PRM", "FY2023-Q1"  # a new department; the demo's latest open period
SERVICES = {"Building permits": "Web", "Business licences": "Phone", "Event permits": "In person"}
STRATEGY = "Online permit tracker"
SURVEY = {  # metric: value for each service (target 4, amber within 0.25)
    "Satisfaction": "4.3", "Trust/confidence": "4.1", "Effectiveness (need addressed)": "4.2",
    "Ease": "3.2", "Efficiency (reasonable time)": "4.4",
    "Equity/transparency (treated fairly)": "4.6", "Employee helpfulness": "4.5",
}  # fmt: skip
RED = "Ease"
NOTE = "The new permit form confused applicants in November; it was rewritten in December."
COVER = "Ease is red (explained in the grid) & the tracker pilot is <b>on track</b>."
MAX_LOADS, MAX_SUBMISSIONS = 5, 3

# A department the administrator would create: three services, each on one channel, one
# strategy under way, and a new officer assigned to it who has never signed in.
SETUP = f"""
from datetime import timedelta
from sqlalchemy import select
from cxprogram import create_app
from cxprogram.auth import services as auth_services
from cxprogram.auth.models import Role
from cxprogram.extensions import db
from cxprogram.org.models import Channel, Department, Service
from cxprogram.review.queries import current_period
from cxprogram.strategies.models import Strategy, StrategyStatus
app = create_app()
with app.app_context():
    period = current_period()
    dept = Department(code="{CODE}", name="Permits Office", is_active=True)
    db.session.add(dept)
    for name, channel in {{"Building permits": "web", "Business licences": "phone",
                          "Event permits": "in_person"}}.items():
        found = db.session.scalars(select(Channel).where(Channel.code == channel)).one()
        db.session.add(Service(department=dept, name=name, channels=[found]))
    db.session.add(Strategy(department=dept, title="{STRATEGY}",
        status=StrategyStatus.ON_TRACK, progress=30,
        start_date=period.start_date - timedelta(days=30)))
    db.session.flush()
    auth_services.create_user("{NEW_OFFICER[0]}", "Nadia New", Role.OFFICER,
                              "{NEW_OFFICER[1]}", ["{CODE}"])
    db.session.commit()
    print(period.label)
"""


@pytest.fixture(scope="module")
def steps_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Its own demo database, with the new department and officer, and its own server."""
    db_file = tmp_path_factory.mktemp("steps") / "demo.db"
    env = {**os.environ, "CX_ENV": "development", "DATABASE_URL": f"sqlite:///{db_file}"}
    _cli(env, "db", "upgrade")
    _cli(env, "demo")
    root = Path(__file__).resolve().parents[2]
    setup = subprocess.run(  # noqa: S603
        [sys.executable, "-c", SETUP], env=env, cwd=root, capture_output=True, text=True,
        timeout=120, check=True,
    )  # fmt: skip
    assert setup.stdout.strip() == PERIOD, setup.stdout + setup.stderr
    port = _free_port()
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--host", "127.0.0.1"]
    server = subprocess.Popen(  # noqa: S603
        [*command, "--port", str(port)], env=env, cwd=root,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    _wait_for(url + "/sign-in", server)
    yield url
    server.terminate()
    server.wait(timeout=10)


class Counter:
    """Page loads (new documents in the main frame) and form submissions (POSTs of a
    document), as the officer makes them."""

    def __init__(self, page: Page) -> None:
        self.loads: list[str] = []
        self.submissions: list[str] = []
        page.on("domcontentloaded", lambda p: self.loads.append(p.url))
        page.on("request", self._request)

    def _request(self, request: Request) -> None:
        if request.method == "POST" and request.resource_type == "document":
            self.submissions.append(request.url)

    def check(self) -> None:
        """Fail above the limits, naming every load and submission."""
        print(f"page loads {self.loads}; form submissions {self.submissions}")  # noqa: T201
        assert len(self.loads) <= MAX_LOADS, f"{len(self.loads)} page loads: {self.loads}"
        assert len(self.submissions) <= MAX_SUBMISSIONS, (
            f"{len(self.submissions)} form submissions: {self.submissions}"
        )


def _type(page: Page, label: str, text: str) -> None:
    """Focus a field by its label and type, as a keyboard user does."""
    page.get_by_label(label, exact=True).focus()
    page.keyboard.press("Control+a")
    page.keyboard.type(text)


def _enter_the_quarter(page: Page) -> None:
    """Every survey metric for every service, with n; one red; its note; the update."""
    for metric, value in SURVEY.items():
        for service, channel in SERVICES.items():
            row = f"{metric}, {service}, {channel}"
            _type(page, f"Value, {row}", value)
            page.keyboard.press("Tab")  # n sits right after the value
            expect(page.get_by_label(f"n, {row}", exact=True)).to_be_focused()
            page.keyboard.type("120")
    _type(page, f"Explanation note, {RED}, Building permits, Web", NOTE)
    _type(page, f"What happened on {STRATEGY}", "Tracker pilot live for building permits.")
    page.keyboard.press("Tab")
    expect(page.get_by_label(f"New status of {STRATEGY}", exact=True)).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.type("45")
    expect(page.get_by_label(f"New progress (%) of {STRATEGY}", exact=True)).to_have_value("45")


def test_a_refused_update_keeps_everything_typed_and_writes_nothing(
    page: Page, steps_server: str
) -> None:
    """Runs first (the plan is still a draft): a progress of 150 % refuses the whole save."""
    sign_in(page, steps_server, *NEW_OFFICER)
    page.goto(f"{steps_server}/departments/{CODE}/periods/{PERIOD}/entry")
    _type(page, "Value, Satisfaction, Building permits, Web", "4.3")
    _type(page, f"What happened on {STRATEGY}", "Typed, not lost.")
    _type(page, f"New progress (%) of {STRATEGY}", "150")
    page.keyboard.press("Enter")  # the grid's one Save
    alert = page.get_by_role("alert").filter(has_text="Nothing was saved")
    expect(alert).to_contain_text(f"{STRATEGY}: Progress must be a whole number from 0 to 100.")
    expect(page.get_by_label("Value, Satisfaction, Building permits, Web")).to_have_value("4.3")
    expect(page.get_by_label(f"What happened on {STRATEGY}")).to_have_value("Typed, not lost.")
    check_accessibility(page)
    alert.get_by_role("link").first.focus()
    page.keyboard.press("Enter")  # to the field to fix
    expect(page.get_by_label(f"New progress (%) of {STRATEGY}")).to_be_focused()
    page.once("dialog", lambda dialog: dialog.accept())  # leave: the typing is not saved
    page.goto(f"{steps_server}/departments/{CODE}/periods/{PERIOD}/entry")
    expect(page.get_by_label("Value, Satisfaction, Building permits, Web")).to_have_value("")


def test_new_officer_reaches_a_submitted_plan_in_few_steps(page: Page, steps_server: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, steps_server, *NEW_OFFICER)
    counter = Counter(page)
    page.goto(steps_server + "/")  # 1: the home page
    check_accessibility(page)
    page.get_by_role("link", name=f"Enter values for {CODE}, {PERIOD}").focus()
    page.keyboard.press("Enter")  # 2: the grid
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Enter values: {CODE}, {PERIOD}")
    left = page.get_by_role("region", name=f"What is left for {PERIOD}")
    expect(left).to_contain_text("Metrics without a value: 11")
    check_accessibility(page)
    _enter_the_quarter(page)
    page.get_by_role("button", name="Save", exact=True).focus()
    page.keyboard.press("Enter")  # 3: saved, the grid again
    expect(page.get_by_role("status").first).to_contain_text(f"Saved 21 values for {PERIOD}")
    expect(page.get_by_role("status").first).to_contain_text("Added 1 progress update")
    expect(left).to_contain_text("Reds to explain: none")
    expect(left).to_contain_text("Metrics without a value: 4")  # the operational ones
    expect(left.get_by_role("link", name="Backlog age")).to_have_attribute(
        "href", re.compile(r"^#n\d+-0-0-value$")
    )
    expect(left).to_contain_text("The plan: draft")
    check_accessibility(page)
    left.get_by_role("link", name="Submit the plan to the chief").focus()
    page.keyboard.press("Enter")  # the same page, scrolled to the submission
    _type(page, "Cover note to the chief (optional)", COVER)
    page.get_by_role("button", name="Submit the plan for review").focus()
    page.keyboard.press("Enter")  # 4: the plan page
    expect(page.locator("#state-heading")).to_contain_text("submitted")
    expect(page.locator(".cx-cover-note").first).to_have_text(COVER)  # shown as text
    expect(page.get_by_role("table", name=re.compile("^Strategies of"))).to_contain_text(
        "Tracker pilot live for building permits."
    )
    check_accessibility(page)
    counter.check()
    _chief_reads_the_cover_note(page, steps_server)


def _chief_reads_the_cover_note(page: Page, base: str) -> None:
    page.get_by_role("button", name=re.compile("^Sign out")).click()
    sign_in(page, base, CHIEF.email, CHIEF.password)
    page.goto(f"{base}/review/plans?period={PERIOD}")
    row = page.get_by_role("row").filter(has_text=CODE)
    expect(row.locator(".cx-cover-note")).to_have_text(COVER)
    check_accessibility(page)
