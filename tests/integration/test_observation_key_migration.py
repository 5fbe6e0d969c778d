"""The migration to one row per observation merges the duplicates a NULL-distinct unique
constraint let in (the latest kept, the merge audited), then refuses new ones."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import column, insert, select, table
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from cxprogram import create_app
from cxprogram.core.fiscal import FiscalQuarter
from cxprogram.core.models import AuditEvent, UTCDateTime
from cxprogram.extensions import db
from cxprogram.metrics import services as metric_services
from cxprogram.metrics.models import Observation
from tests.conftest import _throwaway_postgres, make_config

BEFORE = "c3a1f0e2b7d4"  # the revision before the one-row-per-observation index


@pytest.fixture
def empty_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A second empty database on the same server as this run's."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / f'merge-{uuid.uuid4().hex[:6]}.db'}"
        return
    server = make_url(database_url).set(database="postgres").render_as_string(hide_password=False)
    yield from _throwaway_postgres(server)


def _old_metric() -> int:
    """A metric row as the schema before head holds it (no columns added since)."""
    names = ("code", "name", "description", "kind", "unit", "direction", "aggregation",
             "weighting", "version")  # fmt: skip
    metrics = table("metric_definitions", column("id"), *(column(n) for n in names))
    values = ("satisfaction", "Satisfaction", "", "survey", "points", "higher",
              "weighted_mean", "volume", 1)  # fmt: skip
    statement = insert(metrics).values(dict(zip(names, values, strict=True)))
    return int(db.session.execute(statement.returning(metrics.c.id)).scalar_one())


def _old_observation(dept_id: int, metric_id: int, period_id: int, value: float,
                     updated_at: datetime) -> int:  # fmt: skip
    """An observation row as the schema before head holds it (no columns added since)."""
    names = ("department_id", "metric_id", "period_id", "import_key", "value", "note", "source",
             "version")  # fmt: skip
    observations = table(
        "observations",
        column("id"),
        *(column(n) for n in names),
        column("created_at", UTCDateTime()),
        column("updated_at", UTCDateTime()),
    )
    values = dict(zip(names, (dept_id, metric_id, period_id, "", value, "", "form", 1),
                      strict=True))  # fmt: skip
    statement = insert(observations).values(created_at=updated_at, updated_at=updated_at,
                                            **values)  # fmt: skip
    return int(db.session.execute(statement.returning(observations.c.id)).scalar_one())


def test_duplicates_are_merged_keeping_the_latest_and_audited(empty_database_url: str) -> None:
    app = create_app(make_config(empty_database_url))
    with app.app_context():
        upgrade(revision=BEFORE)
        metric_id = _old_metric()  # the models describe head: write this schema's row by hand
        departments = table("departments", column("id"), column("code"), column("name"),
                            column("is_active"), column("version"))  # fmt: skip
        dept_id = int(db.session.execute(
            insert(departments).values(code="VA", name="Veterans", is_active=True, version=1)
            .returning(departments.c.id)
        ).scalar_one())  # fmt: skip
        period, _ = metric_services.ensure_period(FiscalQuarter(2024, 1), 10)
        now = datetime.now(UTC)
        label, period_id = period.label, period.id
        ids = [_old_observation(dept_id, metric_id, period_id, value, now - timedelta(hours=h))
               for value, h in ((3.0, 3), (4.5, 1), (2.0, 2))]  # fmt: skip
        db.session.commit()
        db.session.close()  # the upgrade writes on a connection of its own
        upgrade()
        kept = db.session.scalars(select(Observation)).all()
        assert [(o.id, o.value) for o in kept] == [(ids[1], 4.5)]
        [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "merge"))
        assert event.entity_id == str(ids[1]) and event.department_id == dept_id
        assert sorted(d["id"] for d in event.before["duplicates"]) == [ids[0], ids[2]]
        assert event.after["value"] == 4.5 and event.period_label == label
        db.session.add(Observation(department_id=dept_id, metric_id=metric_id,
                                   period_id=period_id, value=1.0))  # fmt: skip
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        db.engine.dispose()
