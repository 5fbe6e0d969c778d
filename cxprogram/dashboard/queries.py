"""Reads behind the dashboard: the periods with a rollup, the rollup document as the API
serves it, and a department's observations, reds, plan review and strategies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from cxprogram.auth.models import User
from cxprogram.core.lru import Lru
from cxprogram.core.models import AuditEvent
from cxprogram.extensions import db
from cxprogram.metrics.models import Observation, ReportingPeriod
from cxprogram.metrics.queries import department_observations
from cxprogram.metrics.reds import DepartmentRed, department_reds
from cxprogram.org.models import Department
from cxprogram.review import queries as review_queries
from cxprogram.review.models import PlanReview
from cxprogram.rollup.document import published_document, snapshot_document
from cxprogram.rollup.freshness import snapshot_freshness
from cxprogram.rollup.models import RollupSnapshot
from cxprogram.rollup.queries import latest_snapshot
from cxprogram.strategies.models import Strategy

DOCUMENT_CACHE_SIZE = 16  # expanded documents kept per process (a snapshot never changes)


def snapshot_periods() -> list[ReportingPeriod]:
    """The periods that have at least one rollup snapshot, newest first."""
    has_snapshot = select(RollupSnapshot.id).where(RollupSnapshot.period_id == ReportingPeriod.id)
    query = (
        select(ReportingPeriod)
        .where(has_snapshot.exists())
        .order_by(ReportingPeriod.end_date.desc())
    )
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class Rollup:
    """A period's latest snapshot and its document as the reader may see it."""

    period: ReportingPeriod
    key: tuple[int, int, str, str]  # id, version, inputs hash, computed at: one snapshot
    doc: dict[str, Any]


_documents: Lru[dict[str, Any]] = Lru(DOCUMENT_CACHE_SIZE)


def rollup(period: ReportingPeriod, user: User) -> Rollup | None:
    """The period's latest snapshot as GET /api/v1/rollups/{period} gives it to this user
    (the same document function and the same department filter: rollup.document), or None."""
    head = latest_snapshot(period.id, with_result=False)
    if head is None:
        return None
    snapshot_id = head.id
    # the id alone is not enough: SQLite may give a rolled-back snapshot's id to a new one
    key = (head.id, head.version, head.inputs_hash, head.computed_at.isoformat())
    full = _documents.get(key, lambda: _document(snapshot_id))
    # freshness is read when asked (newer data may have arrived since the cache filled)
    full = {**full, "snapshot": {**full["snapshot"], **snapshot_freshness(head)}}
    return Rollup(period, key, published_document(_copy(full), user))


def _document(snapshot_id: int) -> dict[str, Any]:
    snapshot = db.session.get(RollupSnapshot, snapshot_id)
    assert snapshot is not None
    return snapshot_document(snapshot)  # the API's own document function


def _copy(doc: dict[str, Any]) -> dict[str, Any]:
    """A copy deep enough that filtering it leaves the cached document as it was (the
    filter replaces the metric blocks' department maps and the effects list)."""
    metrics = {}
    for code, block in doc["metrics"].items():
        copied = dict(block)
        if block.get("decomposition"):
            copied["decomposition"] = dict(block["decomposition"])
        metrics[code] = copied
    return {**doc, "metrics": metrics, "strategy_effects": list(doc["strategy_effects"])}


def department_breakdown(department_id: int, period_id: int) -> list[Observation]:
    """The department's observations of the period (services and channels broken out)."""
    return department_observations(department_id, period_id)


@dataclass(frozen=True)
class RedExplanation:
    """A red score of the department and the notes that explain it (none yet: empty)."""

    red: DepartmentRed
    notes: list[str]


def red_explanations(department_id: int, period_id: int) -> list[RedExplanation]:
    """The department's red scores of the period with their observations' notes."""
    reds = department_reds(period_id, [department_id])
    if not reds:
        return []
    notes: dict[int, list[str]] = {}
    for obs in department_observations(department_id, period_id):
        if obs.note:
            notes.setdefault(obs.metric_id, []).append(obs.note)
    return [RedExplanation(red, notes.get(red.metric_id, [])) for red in reds]


def plan_review(department_id: int, period_id: int) -> PlanReview | None:
    """The department's plan review of the period, as review/ stores it."""
    return review_queries.plan_review(department_id, period_id)


def plan_history(department_id: int, period_label: str) -> list[AuditEvent]:
    """The audited steps of the department's plan review for the period, newest first."""
    return list(db.session.scalars(review_queries.plan_events_query(department_id, period_label)))


def plan_strategies(department: Department, period: ReportingPeriod) -> list[Strategy]:
    """The department's strategies in the period's plan."""
    return list(db.session.scalars(review_queries.plan_strategies_query(department.id, period)))
