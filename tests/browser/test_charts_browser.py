"""The charts in Chromium under the app's own Content-Security-Policy: their colours, dashes
and fonts apply (no inline style for the CSP to drop), axe-core finds nothing, and each
chart's accessible name is its title and description."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Route

from cxprogram import charts
from cxprogram.charts import palette
from cxprogram.core.security import CONTENT_SECURITY_POLICY
from tests.browser.conftest import check_accessibility

pytestmark = pytest.mark.browser

URL = "https://charts.invalid/page"


def rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def chart_page() -> str:
    labels = [f"FY2022-Q{i}" for i in range(1, 5)] + [f"FY2023-Q{i}" for i in range(1, 5)]
    spark = charts.sparkline([4.0, 4.1, None, 4.2, 4.3], title="Trend", desc="Rising.")
    fall = charts.waterfall(
        4.1,
        [("Internal Revenue Service", 0.03), ("Social Security", -0.01)],
        4.12,
        title="What moved satisfaction",
        desc="Rose 0.02.",
        start_label="FY2022-Q4",
        end_label="FY2023-Q1",
    )
    xmr = charts.xmr_chart(
        labels,
        [4.0, 4.1, 3.9, 4.0, 4.05, 4.2, 4.6, 3.5],
        center=4.05,
        lpl=3.7,
        upl=4.4,
        org_values=[4.0] * 8,
        target=4.2,
        title="Satisfaction, VA",
        desc="Common cause.",
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Charts</title>'
        "</head><body><main><h1>Charts</h1>"
        f"<div>{spark}</div><figure>{fall}</figure><figure>{xmr}</figure></main></body></html>"
    )


def serve(route: Route) -> None:
    route.fulfill(
        status=200,
        content_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY},
        body=chart_page(),
    )


def test_charts_render_under_the_apps_csp_and_pass_axe(page: Page) -> None:
    page.route(URL, serve)
    page.goto(URL)
    bar_fills = page.eval_on_selector_all(
        ".cx-chart--waterfall path[fill]", "els => els.map(e => getComputedStyle(e).fill)"
    )
    assert rgb(palette.SUCCESS_DARK) in bar_fills and rgb(palette.SECONDARY_DARK) in bar_fills
    dashes = page.eval_on_selector_all(
        ".cx-chart--xmr path", "els => els.map(e => getComputedStyle(e).strokeDasharray)"
    )
    assert any(d not in ("none", "") for d in dashes)  # the limits are dashed
    sizes = page.eval_on_selector_all(
        ".cx-chart--xmr text", "els => els.map(e => getComputedStyle(e).fontSize)"
    )
    assert "7.5px" in sizes
    width = page.eval_on_selector(".cx-chart--xmr", "e => e.getBoundingClientRect().width")
    box = page.eval_on_selector(
        ".cx-chart--xmr", "e => e.parentElement.getBoundingClientRect().width"
    )
    assert width == pytest.approx(box, abs=2)  # width 100%: the chart follows its container
    check_accessibility(page)


def test_a_charts_accessible_name_is_its_title_and_description(page: Page) -> None:
    page.route(URL, serve)
    page.goto(URL)
    names = page.locator('svg[role="img"]').evaluate_all(
        "els => els.map(e => e.getAttribute('aria-labelledby').split(' ')"
        ".map(id => document.getElementById(id).textContent).join(' '))"
    )
    assert names == [
        "Trend Rising.",
        "What moved satisfaction Rose 0.02.",
        "Satisfaction, VA Common cause.",
    ]
    assert page.get_by_role("img", name="What moved satisfaction Rose 0.02.").count() == 1
