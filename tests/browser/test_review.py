"""The chief's review in Chromium (issue 10), on a rolled-up demo database of its own (the
shared server's VA plan belongs to the data-entry test): the officer submits VA's plan; the
chief lands on the dashboard, reads the heatmap, opens what moved satisfaction and reads its
sentence, drills into VA, opens a strategy from the effects table, then opens the review
queue, approves another department's plan and asks for changes on VA's with the keyboard;
the officer reads the comment on the home page and resubmits; the chief approves, and
reopening it asks for a confirmation. The coverage matrix is filtered by keyboard.
axe-core checks each page."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from cxprogram.demo.services import DEMO_LOGINS
from tests.browser.conftest import _cli, _free_port, _wait_for, check_accessibility, sign_in

OFFICER = next(login for login in DEMO_LOGINS if login.role.value == "officer")
CHIEF = next(login for login in DEMO_LOGINS if login.role.value == "chief")
COMMENT = "Add a milestone for evaluating the call-back pilot, with a date."

# Before the walk: every red of VA and of one other department gets an explanation note
# (the officer's work, tested elsewhere), and the chief submits the other department's plan,
# so two plans wait in the queue, the other one first. Prints that department's code.
SETUP = """
from cxprogram import create_app
from cxprogram.auth.models import Role, User
from cxprogram.extensions import db
from cxprogram.metrics.models import Observation
from cxprogram.metrics.reds import unexplained_reds
from cxprogram.org.models import Department
from cxprogram.review import services
from cxprogram.review.queries import current_period
from sqlalchemy import select
app = create_app()
with app.app_context():
    period = current_period()
    other = db.session.scalars(select(Department).where(Department.code != "VA",
        Department.is_active.is_(True)).order_by(Department.code)).first()
    va = db.session.scalars(select(Department).where(Department.code == "VA")).one()
    for red in unexplained_reds(period.id, [va.id, other.id]):
        for obs in db.session.scalars(select(Observation).where(
                Observation.period_id == period.id, Observation.metric_id == red.metric_id,
                Observation.department_id == red.department_id)):
            obs.note = "Explained before the review walk."
    chief = db.session.scalars(select(User).where(User.role == Role.CHIEF)).first()
    services.submit_plan(other, period, chief)
    db.session.commit()
    print(other.code, period.label)
"""


@pytest.fixture(scope="module")
def review_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    """Its own demo database and server: (base URL, the other department, the period)."""
    db_file = tmp_path_factory.mktemp("review") / "demo.db"
    env = {**os.environ, "CX_ENV": "development", "DATABASE_URL": f"sqlite:///{db_file}"}
    _cli(env, "db", "upgrade")
    _cli(env, "demo")
    _cli(env, "rollup", "--all")  # the dashboard the chief starts from
    root = Path(__file__).resolve().parents[2]
    setup = subprocess.run(  # noqa: S603
        [sys.executable, "-c", SETUP], env=env, cwd=root, capture_output=True, text=True,
        timeout=120, check=True,
    )  # fmt: skip
    other, label = setup.stdout.split()
    port = _free_port()
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--host", "127.0.0.1"]
    server = subprocess.Popen(  # noqa: S603
        [*command, "--port", str(port)], env=env, cwd=root,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    _wait_for(url + "/sign-in", server)
    yield url, other, label
    server.terminate()
    server.wait(timeout=10)


def _sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()


def _decide(page: Page, choice: str, comment: str = "") -> None:
    """Choose a decision and record it with the keyboard alone."""
    page.get_by_label(choice).focus()  # USWDS draws the radio on its label
    page.keyboard.press("Space")
    expect(page.get_by_label(choice)).to_be_checked()
    page.keyboard.press("Tab")
    if comment:
        expect(page.get_by_label("Comment for the department")).to_be_focused()
        page.keyboard.type(comment)
    page.get_by_role("button", name="Record the decision").focus()
    page.keyboard.press("Enter")


def test_chief_reviews_plans_and_the_officer_resubmits(
    page: Page, review_server: tuple[str, str, str]
) -> None:
    base, other, label = review_server
    plan = f"/departments/VA/plan/{label}"
    # The officer submits VA's plan from the home page.
    sign_in(page, base, OFFICER.email, OFFICER.password)
    page.get_by_role("link", name=f"The plan of VA for {label}").click()
    page.get_by_role("button", name="Submit the plan for review").click()
    expect(page.locator("#state-heading")).to_contain_text("submitted")
    check_accessibility(page)
    _sign_out(page)

    # The chief lands on the dashboard: the heatmap, what moved satisfaction and its
    # sentence, a department's drill-down, a strategy opened from the effects table.
    sign_in(page, base, CHIEF.email, CHIEF.password)
    expect(page.get_by_role("heading", level=1)).to_have_text("Organization dashboard")
    heatmap = page.locator("#heatmap")
    expect(heatmap.locator("tbody tr[data-department]").first).to_be_visible()
    assert heatmap.locator("tbody tr[data-department]").count() >= 10
    expect(heatmap).to_contain_text("met")  # status in words, not colour alone
    page.get_by_role("link", name="What moved the score").click()
    page.locator("#metric-picker").select_option("satisfaction")
    page.locator("#metric-picker").focus()
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "metric=satisfaction" in page.url
    sentence = page.locator("#moved-sentence")
    expect(sentence).to_contain_text("satisfaction")
    assert any(w in sentence.inner_text() for w in ("rose", "fell", "did not change")), (
        sentence.inner_text()
    )
    check_accessibility(page)
    dashboard = page.url
    heatmap.locator("tbody tr[data-department='VA'] th a").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("VA")
    assert "/dashboard/departments/VA" in page.url
    check_accessibility(page)
    page.goto(dashboard)
    page.locator("#effects-table a[href^='/strategies/']").first.click()
    expect(page.get_by_role("heading", name="Estimated effects")).to_be_visible()
    check_accessibility(page)
    page.goto(base + "/")

    # The chief: home -> the queue, oldest first.
    expect(page.get_by_text("Plans waiting for your decision:")).to_be_visible()
    page.get_by_role("link", name=f"Plan review queue for {label}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Plan review queue, {label}")
    assert f"period={label}" in page.url  # the state is in the URL
    queue = page.get_by_role("table", name=f"Submitted plans of {label}, oldest submission first")
    rows = queue.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(other)
    expect(rows.nth(1)).to_contain_text("VA")
    check_accessibility(page)

    # Approve the other department's plan, beside its scores, reds and strategies.
    page.get_by_role("link", name=f"Review {other}'s plan").click()
    expect(page.get_by_role("heading", name="Scores against targets")).to_be_visible()
    expect(page.get_by_role("heading", name="Reds and their explanations")).to_be_visible()
    expect(page.locator(".cx-as-of")).to_contain_text("As submitted on")
    check_accessibility(page)
    _decide(page, "Approve the plan")
    expect(page.locator("#state-heading")).to_contain_text("approved")

    # Ask for changes on VA's plan: the comment is required, then recorded.
    page.get_by_role("link", name=f"Back to the review queue of {label}").click()
    expect(rows).to_have_count(1)
    page.get_by_role("link", name="Review VA's plan").click()
    _decide(page, "Ask for changes")
    expect(page.get_by_role("alert")).to_contain_text("a comment is required")
    _decide(page, "Ask for changes", COMMENT)
    expect(page.locator("#state-heading")).to_contain_text("changes requested")
    check_accessibility(page)
    _sign_out(page)

    # The officer reads the comment itself on the home page and resubmits.
    sign_in(page, base, OFFICER.email, OFFICER.password)
    expect(page.get_by_role("region", name="The chief's comment on VA's plan")).to_contain_text(
        COMMENT
    )
    check_accessibility(page)
    page.get_by_role("link", name=f"Change and resubmit the plan of VA for {label}").click()
    page.get_by_role("button", name="Resubmit the plan for review").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#state-heading")).to_contain_text("submitted")
    history = page.get_by_role("table", name="Submissions and decisions on this plan, newest first")
    expect(history.locator("tbody tr")).to_have_count(3)
    expect(history.locator("tbody tr").nth(1)).to_contain_text(COMMENT)
    _sign_out(page)

    # The chief approves it; reopening it then takes a confirmation page.
    sign_in(page, base, CHIEF.email, CHIEF.password)
    page.goto(base + plan)
    _decide(page, "Approve the plan")
    expect(page.locator("#state-heading")).to_contain_text("approved")
    page.get_by_role("link", name="Reopen and resubmit the approved plan…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Reopen VA's approved plan for {label}?"
    )
    check_accessibility(page)
    page.get_by_role("link", name="No, keep it approved").click()
    expect(page.locator("#state-heading")).to_contain_text("approved")


def test_coverage_matrix_by_keyboard(page: Page, review_server: tuple[str, str, str]) -> None:
    base, _, _ = review_server
    sign_in(page, base, CHIEF.email, CHIEF.password)
    nav = page.get_by_role("navigation", name="Primary navigation")
    nav.get_by_role("link", name="Coverage").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Touchpoint coverage")
    matrix = page.get_by_role("table", name="Touchpoint coverage: journey stages (rows)")
    expect(matrix.get_by_role("link").first).to_be_visible()  # the demo's strategies
    check_accessibility(page)
    page.get_by_label("Show").focus()
    page.keyboard.press("ArrowDown")  # "Gaps only"
    page.get_by_role("button", name="Apply filters").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base}/coverage?department=&stage=&channel=&show=gaps")
    expect(page.get_by_label("Show")).to_have_value("gaps")
    expect(matrix).to_contain_text("not a gap")
    check_accessibility(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download these touchpoints as CSV").click()
    assert download.value.suggested_filename == "touchpoint-coverage.csv"
