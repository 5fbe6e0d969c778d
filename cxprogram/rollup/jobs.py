"""Scheduled job bodies, thin: each runs in the app context, in one transaction, under its lock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from flask import Flask, current_app
from sqlalchemy import select

from cxprogram.core.locks import job_lock
from cxprogram.extensions import db
from cxprogram.metrics.models import PeriodState, ReportingPeriod
from cxprogram.rollup.freshness import freshness
from cxprogram.rollup.queries import latest_snapshot
from cxprogram.rollup.services import run_rollup

Job = Callable[[datetime], int]


def run_job(
    app: Flask, name: str, job: Job, now: datetime | None = None, lock: str | None = None
) -> int:
    """Run one job body under its lock (by default, named after the job) in one
    transaction; roll back everything on failure."""
    with app.app_context():
        try:
            with job_lock(lock or name):
                done = job(now or datetime.now(UTC))
                db.session.commit()
        except Exception:
            db.session.rollback()
            current_app.logger.exception("job %s failed; nothing of it was kept", name)
            raise
        current_app.logger.info("job %s: %d item(s)", name, done)
        return done


def run_nightly_rollup(now: datetime) -> int:
    """Roll up every open period; returns the number of new snapshots."""
    periods = db.session.scalars(
        select(ReportingPeriod).where(ReportingPeriod.state == PeriodState.OPEN)
    )
    return sum(run_rollup(p, now).is_new for p in periods)


def run_rollup_refresh(now: datetime) -> int:
    """Roll up the open periods whose inputs changed since their latest snapshot (or that
    have none), and no other; returns the number of new snapshots."""
    periods = db.session.scalars(
        select(ReportingPeriod)
        .where(ReportingPeriod.state == PeriodState.OPEN)
        .order_by(ReportingPeriod.start_date)
    ).all()
    # in date order, each checked just before it may run: a rollup of an earlier period
    # caches aggregates a later one's check then reads
    return sum(run_rollup(p, now).is_new for p in periods if freshness(p).newer_data_waits)


def run_quarter_close(now: datetime) -> int:
    """Final rollup of every closed period whose latest snapshot is not final yet."""
    closed = db.session.scalars(
        select(ReportingPeriod).where(ReportingPeriod.state == PeriodState.CLOSED)
    )
    pending = [p for p in closed if not ((s := latest_snapshot(p.id)) and s.is_final)]
    return sum(run_rollup(p, now).is_new for p in pending)
