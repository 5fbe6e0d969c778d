"""Browser tests: the real `cxprogram` commands serve a demo database on 127.0.0.1 and
Debian's Chromium, driven by Playwright, signs in and looks at every page."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = os.environ.get("CX_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cli(env: dict[str, str], *args: str) -> str:
    command = [sys.executable, "-m", "flask", "--app", "wsgi", *args]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`db upgrade`, `demo` and `run` on a fresh SQLite file, as the README's run command does."""
    db_file = tmp_path_factory.mktemp("browser") / "demo.db"
    env = {**os.environ, "CX_ENV": "development", "DATABASE_URL": f"sqlite:///{db_file}"}
    _cli(env, "db", "upgrade")
    _cli(env, "demo")
    port = _free_port()
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--host", "127.0.0.1"]
    server = subprocess.Popen(  # noqa: S603
        [*command, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    _wait_for(url + "/sign-in", server)
    yield url
    server.terminate()
    server.wait(timeout=10)


def _wait_for(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, "the server exited"
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback only
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within 30 s")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, with the flags this machine needs."""
    assert Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM}"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context per test; console errors (CSP violations included) fail it.

    bypass_csp lets the test inject axe-core; the app's own pages never need it, which the
    console check proves (a blocked script or style logs an error).
    """
    context = browser.new_context(bypass_csp=False)
    new_page = context.new_page()
    errors: list[str] = []
    new_page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    new_page.on("pageerror", lambda e: errors.append(str(e)))
    yield new_page
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        ARTIFACTS.mkdir(exist_ok=True)
        new_page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    # Refusals the app answers on purpose (forbidden, not found, conflict, spent link,
    # invalid file) are logged by Chromium as failed loads; anything else fails the test.
    expected = tuple(f"status of {code}" for code in (403, 404, 409, 410, 422))
    unexpected = [e for e in errors if not any(status in e for status in expected)]
    assert unexpected == [], f"browser console errors: {unexpected}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Iterator[None]:
    """Remember each phase's outcome so the page fixture can screenshot failures."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def check_accessibility(page: Page) -> None:
    """Run axe-core (WCAG 2.1 A and AA rules) on the page; fail on any violation."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}}
    result = page.evaluate("options => axe.run(document, options)", options)
    violations = [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]
    assert violations == [], f"axe violations on {page.url}: {json.dumps(violations, indent=1)}"
    assert result["passes"], "axe ran no rule at all"


def sign_in(page: Page, base_url: str, email: str, password: str) -> None:
    """Sign in through the form as a person would."""
    page.goto(base_url + "/sign-in")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
