"""The dashboard pages in Chromium on the demo with its rollups: axe-core finds no WCAG 2.1
AA violation, the heatmap sorts and the pickers work with the keyboard alone, and every
chart has a title, a description and a data table."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    ARTIFACTS,
    _cli,
    _free_port,
    _wait_for,
    check_accessibility,
    sign_in,
)

CHIEF = ("chief@demo.cxprogram.test", "demo-chief-password")
PERIOD = "FY2023-Q1"


@pytest.fixture(scope="module")
def rolled_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo with every period rolled up (the shared live server has no rollup)."""
    db_file = tmp_path_factory.mktemp("dashboard") / "demo.db"
    env = {**os.environ, "CX_ENV": "development", "DATABASE_URL": f"sqlite:///{db_file}"}
    _cli(env, "db", "upgrade")
    _cli(env, "demo")
    _cli(env, "rollup", "--all")
    port = _free_port()
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--host", "127.0.0.1"]
    server = subprocess.Popen(  # noqa: S603
        [*command, "--port", str(port)], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    _wait_for(url + "/sign-in", server)
    yield url
    server.terminate()
    server.wait(timeout=10)


def _charts_are_described(page: Page) -> int:
    """Every chart: role=img labelled by its own <title>, a <desc>, and a table one click
    away (the <details> after its figure). Returns how many there are."""
    charts = page.locator("svg[role=img]")
    count = charts.count()
    for i in range(count):
        svg = charts.nth(i)
        label_id = svg.get_attribute("aria-labelledby") or ""
        assert label_id, "a chart without aria-labelledby"
        for ref in label_id.split():
            assert page.locator(f"[id='{ref}']").count() == 1
        assert svg.locator("title").count() >= 1 and svg.locator("desc").count() >= 1
        assert (svg.locator("title").first.text_content() or "").strip()
        details = svg.locator("xpath=ancestor::figure/following-sibling::details[1]")
        assert details.locator("table").count() == 1
    return count


def test_dashboard_pages_are_accessible_and_charts_described(
    page: Page, rolled_server: str
) -> None:
    sign_in(page, rolled_server, *CHIEF)
    expect(page.get_by_role("heading", level=1)).to_have_text("Organization dashboard")
    paths = [
        f"/dashboard?period={PERIOD}&metric=satisfaction",
        f"/dashboard/departments/VA?period={PERIOD}",
        "/dashboard/method",
    ]
    for path in paths:
        page.goto(rolled_server + path)
        if path == paths[0]:  # the README's picture of the dashboard
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        check_accessibility(page)
        if "method" not in path:
            assert _charts_are_described(page) >= 5
            expect(page.locator(".cx-snapshot-note")).to_contain_text(PERIOD)
    page.goto(rolled_server + f"/dashboard?period={PERIOD}")
    page.locator("#effects-table a[href^='/strategies/']").first.click()
    expect(page.get_by_role("heading", name="Estimated effects")).to_be_visible()
    check_accessibility(page)


def test_heatmap_sort_and_pickers_work_with_the_keyboard(page: Page, rolled_server: str) -> None:
    sign_in(page, rolled_server, *CHIEF)
    page.goto(rolled_server + f"/dashboard?period={PERIOD}")
    sort = page.locator("#heatmap thead a", has_text="Satisfaction")
    sort.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "sort=satisfaction" in page.url
    header = page.locator("#heatmap thead th[data-sorted]")
    expect(header).to_have_attribute("data-sorted", "ascending")
    scores = [float(t.split()[0]) for t in page.locator("#heatmap td[data-metric=satisfaction]")
              .all_inner_texts() if t.strip()[:1].isdigit()]  # fmt: skip
    assert scores == sorted(scores) and len(scores) > 5
    page.locator("#heatmap thead a", has_text="Satisfaction").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    header = page.locator("#heatmap thead th[data-sorted]")
    expect(header).to_have_attribute("data-sorted", "descending")

    metric = page.locator("#metric-picker")
    metric.focus()
    before = metric.input_value()
    page.keyboard.press("ArrowDown")
    after = metric.input_value()
    assert after != before
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert f"metric={after}" in page.url and "sort=satisfaction" in page.url
    expect(page.locator("#moved-heading")).to_be_visible()

    picker = page.locator("#period-picker")
    picker.focus()
    page.keyboard.press("ArrowDown")
    chosen = picker.input_value()
    assert chosen != PERIOD
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert f"period={chosen}" in page.url
    expect(page.locator(".cx-snapshot-note")).to_contain_text(chosen)
