"""Whether a period's snapshot is older than the data: cheap reads, no write, no decoding.

A period's snapshot is older than the data ("newer data waits") when a rollup run now would
store a new version: when the inputs hash of the period's current inputs differs from the
snapshot's. The inputs (queries.load_inputs, compose.RollupInputs.digest) are the
observations of every period ending no later than this one (earlier periods feed the series,
the trends and the strategy effects), the metric definitions' rollup settings, the
departments (codes, and which are inactive), the dated strategies that are not cancelled
and the period labels.

Observations are tracked by the per-period stamps the database triggers bump: a period whose
stamp moved since its aggregates were cached has changed, and newer data waits without
further reading. Otherwise the current inputs hash is worked out from the cached aggregates'
digests and the small tables, without decoding any aggregate. The snapshot of a closed
period is final (kept until the period is reopened): no newer data waits for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cxprogram.extensions import db
from cxprogram.metrics.models import ReportingPeriod
from cxprogram.rollup.models import RollupSnapshot
from cxprogram.rollup.queries import (
    cached_aggregate_states,
    latest_input_write,
    latest_snapshot,
    load_inputs,
    period_fingerprints,
    periods_up_to,
)


@dataclass(frozen=True)
class Freshness:
    """When a period's latest snapshot was computed, and whether newer data waits.

    data_changed_at: when newer data waits, the latest write since the snapshot to an input
    row that carries a time (an observation of this or an earlier period, or a strategy);
    None when nothing waits or the change carries no time (a deletion, a metric's settings,
    a department's state)."""

    computed_at: datetime | None
    newer_data_waits: bool
    data_changed_at: datetime | None
    version: int | None = None

    def as_document(self) -> dict[str, Any]:
        """The two keys freshness adds to a rollup document's "snapshot" object."""
        changed = self.data_changed_at
        return {
            "newer_data_waits": self.newer_data_waits,
            "data_changed_at": changed.isoformat() if changed is not None else None,
        }


def freshness(period: ReportingPeriod, snapshot: RollupSnapshot | None = None) -> Freshness:
    """Whether the period's snapshot (by default its latest) is older than the data."""
    snapshot = snapshot or latest_snapshot(period.id, with_result=False)
    if snapshot is None:
        return Freshness(None, True, None)
    if snapshot.is_final and period.is_closed:
        return Freshness(snapshot.computed_at, False, None, snapshot.version)
    labels = periods_up_to(period)
    stale, recached = _changed_periods(list(labels), snapshot.computed_at)
    waits = bool(stale) or _digest_differs(period, labels, snapshot)
    if not waits:
        return Freshness(snapshot.computed_at, False, None, snapshot.version)
    where = sorted(set(stale) | set(recached)) or list(labels)
    changed_at = latest_input_write(where, snapshot.computed_at)
    return Freshness(snapshot.computed_at, True, changed_at, snapshot.version)


def _changed_periods(period_ids: list[int], since: datetime) -> tuple[list[int], list[int]]:
    """The periods whose observations changed since their aggregates were cached (or that
    have no cached aggregates, or no stamps to tell: stale), and those whose aggregates were
    cached again after `since` (changed then, perhaps back to what they were)."""
    live = period_fingerprints(period_ids)
    cached = cached_aggregate_states(period_ids)
    stale, recached = [], []
    for pid in period_ids:
        fingerprint, cached_at = cached.get(pid, (None, None))
        if live[pid] is None or fingerprint is None or fingerprint != live[pid]:
            stale.append(pid)
        elif cached_at is not None and cached_at > since:
            recached.append(pid)
    return stale, recached


def _digest_differs(
    period: ReportingPeriod, labels: dict[int, str], snapshot: RollupSnapshot
) -> bool:
    """Whether the period's current inputs hash (from the cached aggregates' digests) differs
    from the snapshot's, or its finality from the period's state."""
    if snapshot.is_final != period.is_closed:
        return True
    return load_inputs(period, labels, with_scores=False).digest() != snapshot.inputs_hash


def snapshot_freshness(snapshot: RollupSnapshot) -> dict[str, Any]:
    """The freshness keys of this snapshot's document (services.snapshot_document)."""
    period = db.session.get_one(ReportingPeriod, snapshot.period_id)
    return freshness(period, snapshot).as_document()
