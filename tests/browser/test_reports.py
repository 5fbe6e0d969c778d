"""The chief asks for the quarterly report in Chromium and watches it go from queued to done
without reloading (the scheduler's queue job renders it meanwhile), then downloads it; the
reports page passes axe-core."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import check_accessibility, sign_in

CHIEF = ("chief@demo.cxprogram.test", "demo-chief-password")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def live_database_url(live_server: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The SQLite file the session's live server serves (made by the live_server fixture)."""
    found = tmp_path_factory.getbasetemp().glob("browser*/demo.db")
    path = max(found, key=lambda p: p.stat().st_mtime)
    return f"sqlite:///{path}"


def test_the_chief_requests_a_report_and_sees_it_done_without_reloading(
    page: Page, live_server: str, live_database_url: str
) -> None:
    env = {**os.environ, "CX_ENV": "development", "DATABASE_URL": live_database_url}
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "rollup", "--period",
                    "FY2023-Q1"], env=env, cwd=ROOT, check=True, capture_output=True)  # fmt: skip
    sign_in(page, live_server, *CHIEF)
    page.goto(live_server + "/reports")
    check_accessibility(page)
    page.get_by_label("Period").select_option("FY2023-Q1")
    page.get_by_role("button", name="Make the report").click()
    page.wait_for_load_state()
    row = page.locator("#report-history tbody tr").first
    expect(row.locator('[data-field="status"]')).to_have_text("queued")
    loaded = page.evaluate("performance.timeOrigin")
    scheduler = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "--run-now", "report-queue"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        expect(row.locator('[data-field="status"]')).to_have_text("running", timeout=120_000)
        expect(row.locator('[data-field="status"]')).to_have_text("done", timeout=600_000)
    finally:
        _, err = scheduler.communicate(timeout=600)
    assert scheduler.returncode == 0, err
    assert page.evaluate("performance.timeOrigin") == loaded  # the same page, never reloaded
    check_accessibility(page)
    with page.expect_download() as download_info:
        row.get_by_role("link", name="Download").click()
    path = download_info.value.path()
    assert path is not None and Path(path).read_bytes().startswith(b"%PDF-1.7")
