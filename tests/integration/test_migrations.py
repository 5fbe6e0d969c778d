"""`upgrade head` gives exactly the schema the models describe, on this run's database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from cxprogram import create_app
from cxprogram.extensions import db
from cxprogram.rollup.triggers import TRIGGER_NAMES
from tests.conftest import _throwaway_postgres, make_config


@pytest.fixture
def empty_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A second empty database on the same server as this run's."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / f'migr-{uuid.uuid4().hex[:6]}.db'}"
        return
    server = make_url(database_url).set(database="postgres").render_as_string(hide_password=False)
    yield from _throwaway_postgres(server)


def test_upgrade_head_matches_models(empty_database_url: str) -> None:
    app = create_app(make_config(empty_database_url))
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": False}
            )
            diff: list[Any] = compare_metadata(context, db.metadata)
        assert diff == [], f"migrations and models differ: {diff}"
        tables = set(inspect(db.engine).get_table_names())
        assert {"users", "observations", "strategies", "rollup_snapshots", "audit_events"} <= tables
        assert _triggers(db.engine) == set(TRIGGER_NAMES), "the rollup cache's triggers"
        db.engine.dispose()


def _triggers(engine: Any) -> set[str]:
    """Names of the triggers on the observations table (models do not describe them)."""
    query = (
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'observations'"
        if engine.dialect.name == "sqlite"
        else "SELECT tgname FROM pg_trigger WHERE tgrelid = 'observations'::regclass"
        " AND NOT tgisinternal"
    )
    with engine.connect() as conn:
        return set(conn.execute(text(query)).scalars())


def test_downgrade_to_base_removes_everything(empty_database_url: str) -> None:
    app = create_app(make_config(empty_database_url))
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        db.engine.dispose()


def test_database_is_the_one_configured(empty_database_url: str) -> None:
    engine = create_engine(empty_database_url)
    with engine.connect() as conn:
        assert conn.execute(text("select 1")).scalar() == 1
    engine.dispose()
