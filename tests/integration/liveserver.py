"""A real HTTP server (werkzeug, threaded) on 127.0.0.1 over its own committed database, for
tests of concurrent clients: a SQLite file, or a throwaway PostgreSQL database."""

from __future__ import annotations

import os
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from flask import Flask
from werkzeug.serving import make_server

from tests.conftest import PASSWORD, _throwaway_postgres, make_config

CSRF_RE = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Live:
    """A running server: its base URL and its application (for seeding and reading)."""

    url: str
    app: Flask
    tokens: dict[str, str] = field(default_factory=dict)


@contextmanager
def live_server(tmp_path: Path, **extra: Any) -> Iterator[Live]:
    """Start the application on a free port over a fresh database with its tables (`extra`:
    Flask settings that override the configuration's)."""
    from cxprogram import create_app
    from cxprogram.extensions import db

    with contextmanager(_database)(tmp_path) as url:
        app = create_app(make_config(url, **extra))
        with app.app_context():
            db.create_all()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield Live(f"http://127.0.0.1:{server.server_port}", app)
        finally:
            server.shutdown()
            thread.join(5)
            with app.app_context():
                db.engine.dispose()


def _database(tmp_path: Path) -> Iterator[str]:
    server = os.environ.get("CX_TEST_DATABASE_URL", "")
    if not server:
        yield f"sqlite:///{tmp_path / f'live-{uuid.uuid4().hex[:6]}.db'}"
        return
    yield from _throwaway_postgres(server)


def signed_in(base: str, email: str) -> requests.Session:
    """A browser session signed in through the real form."""
    browser = requests.Session()
    browser.post(
        f"{base}/sign-in",
        data={
            "email": email,
            "password": PASSWORD,
            "csrf_token": page_csrf(browser, base, "/sign-in"),
        },
        allow_redirects=False,
    ).raise_for_status()
    return browser


def page_csrf(browser: requests.Session, base: str, path: str) -> str:
    """The CSRF token of a page's form."""
    match = CSRF_RE.search(browser.get(f"{base}{path}").text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def percentile(samples: list[float], share: float) -> float:
    """The sample below which `share` of them lie (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0
