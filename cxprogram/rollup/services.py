"""Compute and store rollup snapshots. Flushes, never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from cxprogram.auth.models import User
from cxprogram.core import audit
from cxprogram.extensions import db
from cxprogram.metrics.models import ReportingPeriod
from cxprogram.rollup.cache import pack
from cxprogram.rollup.compose import compose_rollup
from cxprogram.rollup.models import RollupPeriodAggregates, RollupPeriodStamp, RollupSnapshot
from cxprogram.rollup.queries import (
    cached_fingerprints,
    forget_decoded,
    latest_snapshot,
    load_inputs,
    metric_weighings,
    period_aggregate_rows,
    period_fingerprints,
    periods_up_to,
)

ROLLUP_LOCK = "rollups"  # the lock every job or command that stores snapshots takes


@dataclass(frozen=True)
class RollupOutcome:
    """What a rollup run did for one period."""

    period: str
    snapshot: RollupSnapshot
    is_new: bool


def run_rollup(period: ReportingPeriod, now: datetime) -> RollupOutcome:
    """Compute the period's rollup; store a new version only when its inputs changed.

    The snapshot of a closed period is final: it is kept until the period is reopened.
    """
    db.session.flush()  # the reads below go past the ORM (queries.py), so past autoflush
    previous = latest_snapshot(period.id, with_result=False)
    if previous is not None and previous.is_final and period.is_closed:
        return RollupOutcome(period.label, previous, False)
    labels = periods_up_to(period)
    refresh_aggregates(list(labels), now)
    inputs = load_inputs(period, labels)
    digest = inputs.digest()
    if (
        previous is not None
        and previous.inputs_hash == digest
        and previous.is_final == period.is_closed
    ):
        return RollupOutcome(period.label, previous, False)
    snapshot = RollupSnapshot(
        period_id=period.id,
        version=(previous.version + 1) if previous else 1,
        computed_at=now,
        inputs_hash=digest,
        is_final=period.is_closed,
        result=compose_rollup(inputs),
    )
    db.session.add(snapshot)
    db.session.flush()
    return RollupOutcome(period.label, snapshot, True)


def refresh_aggregates(period_ids: list[int], now: datetime) -> int:
    """Recompute the cached aggregates of every period whose observations changed since
    they were cached (one GROUP BY each); returns how many were refreshed."""
    db.session.flush()
    live = period_fingerprints(period_ids)
    cached = cached_fingerprints(period_ids)
    stale = [pid for pid in period_ids if live[pid] is None or cached.get(pid) != live[pid]]
    weighings = metric_weighings() if stale else {}
    for pid in stale:
        data, digest = pack(period_aggregate_rows(pid), weighings)
        fingerprint = (live[pid] or "untracked").rstrip("*")
        _upsert_aggregates(
            {"period_id": pid, "fingerprint": fingerprint, "digest": digest, "data": data,
             "computed_at": now}
        )  # fmt: skip
        if live[pid] is not None:
            _mark_read(pid, int(fingerprint.removeprefix("r")))
    return len(stale)


def _mark_read(period_id: int, revision: int) -> None:
    """Clear the period's changed mark (SQLite), so that its next write bumps the revision."""
    db.session.execute(
        update(RollupPeriodStamp)
        .where(RollupPeriodStamp.period_id == period_id, RollupPeriodStamp.revision == revision)
        .values(changed=0)
    )


def clear_aggregates() -> int:
    """Forget every cached period aggregate (the next rollups recompute them)."""
    result = db.session.execute(delete(RollupPeriodAggregates))
    forget_decoded()
    return int(result.rowcount)  # type: ignore[attr-defined]


def _upsert_aggregates(values: dict[str, Any]) -> None:
    """Insert or replace one period's cached row (two rollups at once both succeed)."""
    table = RollupPeriodAggregates.__table__
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).values(**values)  # type: ignore[arg-type]
    changed = {k: statement.excluded[k] for k in ("fingerprint", "digest", "data", "computed_at")}
    db.session.execute(statement.on_conflict_do_update(index_elements=["period_id"], set_=changed))


def periods_to_roll(label: str | None, every: bool) -> list[ReportingPeriod]:
    """The periods a rollup command covers: one, all, or the open ones."""
    query = select(ReportingPeriod).order_by(ReportingPeriod.start_date)
    if label:
        query = query.where(ReportingPeriod.label == label)
    elif not every:
        query = query.where(ReportingPeriod.state == "open")
    return list(db.session.scalars(query))


def recompute_period(period: ReportingPeriod, actor: User, now: datetime) -> RollupOutcome:
    """Roll the period up now at someone's request (a new version only when its inputs
    changed), audited; the caller holds ROLLUP_LOCK and commits."""
    outcome = run_rollup(period, now)
    audit.record(
        "recompute", "rollup_snapshot", outcome.snapshot.id, actor=actor,
        after={"version": outcome.snapshot.version, "is_new": outcome.is_new},
        period_label=period.label,
    )  # fmt: skip
    return outcome
