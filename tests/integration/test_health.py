"""/healthz touches no database; /readyz wants the database at the migrations' head."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from flask.testing import FlaskClient
from sqlalchemy import event

from cxprogram import create_app
from cxprogram.extensions import db
from tests.conftest import make_config
from tests.integration.serveprocess import ROOT, cli
from tests.integration.test_migrations import empty_database_url  # noqa: F401  (fixture)


@pytest.fixture
def migrated(empty_database_url: str) -> Iterator[Any]:  # noqa: F811
    """An app over a database built by `cxprogram db upgrade`."""
    cli(empty_database_url, "db", "upgrade")
    app = create_app(make_config(empty_database_url))
    yield app, empty_database_url
    with app.app_context():
        db.engine.dispose()


def test_readyz_answers_200_at_head_and_503_when_behind(migrated: Any) -> None:
    app, url = migrated
    client = app.test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.get_json()
    assert ready.get_json()["migrations"]["current"] == ready.get_json()["migrations"]["head"]

    script = ScriptDirectory(str(ROOT / "migrations"))
    (head,) = script.get_heads()
    older = script.get_revision(head).down_revision
    assert isinstance(older, str)
    cli(url, "db", "stamp", older)  # as if the last migration had not been run
    behind = client.get("/readyz")
    assert behind.status_code == 503
    assert behind.headers["Retry-After"].isdigit()
    body = behind.get_json()
    assert body["reason"] == "database migrations not at head"
    assert body["database"] == "ok"
    assert body["migrations"] == {"current": [older], "head": [head]}
    assert client.get("/healthz").status_code == 200  # alive, though not ready


def test_readyz_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    app = create_app(make_config(f"sqlite:///{tmp_path}/missing/folder/cx.db"))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["reason"] == "database unreachable"
    page = app.test_client().get("/sign-in")
    assert page.status_code == 503 and "Retry-After" in page.headers
    assert "Service unavailable" in page.get_data(as_text=True)


def test_healthz_runs_no_statement_and_opens_no_connection(app: Any, client: FlaskClient) -> None:
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def record(*args: Any) -> None:
        seen.append("db")

    event.listen(engine, "before_cursor_execute", record)
    event.listen(engine.pool, "checkout", record)
    try:
        response = client.get("/healthz")
    finally:
        event.remove(engine, "before_cursor_execute", record)
        event.remove(engine.pool, "checkout", record)
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert seen == []
