"""No cache keeps a page, an export or an API answer (Cache-Control: no-store); production
sends HSTS for at least a year (issue 16)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from config import Config
from cxprogram.auth.tokens import create_token
from tests.conftest import PASSWORD, csrf_token

ONE_YEAR = 365 * 24 * 3600


def _paths_without_arguments(app: Flask) -> list[str]:
    rules = [r for r in app.url_map.iter_rules() if r.endpoint != "static" and not r.arguments]
    return sorted({r.rule for r in rules if "GET" in (r.methods or set())})


def test_every_page_export_and_api_answer_is_no_store(
    app: Flask, client: Any, make_user: Any
) -> None:
    admin = make_user("admin")
    data = {"email": admin.email, "password": PASSWORD, "csrf_token": csrf_token(client)}
    assert client.post("/sign-in", data=data).status_code == 302
    extra = ["/exports/observations.csv", "/exports/observations.xlsx", "/no-such-page"]
    paths = _paths_without_arguments(app) + extra
    assert "/" in paths and "/users" in paths and "/api/v1/departments" in paths
    for path in paths:
        response = client.get(path)
        assert response.headers.get("Cache-Control") == "no-store", (path, response.status)
    token = create_token(make_user("chief"))
    api = app.test_client().get("/api/v1/departments", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200 and api.headers["Cache-Control"] == "no-store"
    signed_out = app.test_client().get("/sign-in")
    assert signed_out.headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/static/app.css").headers.get("Cache-Control", "")


def test_no_hsts_outside_production(client: Any) -> None:
    assert "Strict-Transport-Security" not in client.get("/sign-in").headers


@pytest.fixture
def production_app(database_url: str) -> Iterator[Flask]:
    """The application configured as in production (behind HTTPS)."""
    from cxprogram import create_app
    from cxprogram.extensions import db

    config = Config(secret_key="x" * 40, database_url=database_url, environment="production")  # noqa: S106
    application = create_app(config)
    yield application
    with application.app_context():
        db.engine.dispose()


def test_production_sends_hsts_for_at_least_a_year(production_app: Flask, db_session: Any) -> None:
    response = production_app.test_client().get("/sign-in", base_url="https://localhost")
    assert response.status_code == 200
    header = response.headers["Strict-Transport-Security"]
    match = re.fullmatch(r"max-age=(\d+)(; includeSubDomains)?(; preload)?", header)
    assert match and int(match.group(1)) >= ONE_YEAR
