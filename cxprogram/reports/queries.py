"""Reads for the quarterly report: the archive, and what the report says besides the
snapshot (names, notes explaining reds, strategies, plan reviews)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload, undefer

from cxprogram.extensions import db
from cxprogram.metrics.models import MetricDefinition, Observation, ReportingPeriod
from cxprogram.metrics.queries import period_by_label
from cxprogram.org.models import Department
from cxprogram.org.queries import organization_settings
from cxprogram.reports.facts import ReportFacts, StrategyFacts
from cxprogram.reports.models import QuarterlyReport, ReportStatus
from cxprogram.review.models import PlanReview
from cxprogram.rollup.compose import expand_rollup
from cxprogram.rollup.models import RollupSnapshot
from cxprogram.strategies.models import Strategy


def report_facts(period: ReportingPeriod) -> ReportFacts:
    """The organization's name and the period's notes, strategies and plan reviews."""
    departments = list(db.session.scalars(select(Department).order_by(Department.code)))
    codes = {d.id: d.code for d in departments}
    return ReportFacts(
        organization=organization_settings().name,
        departments={d.code: (d.name, codes.get(d.parent_id or 0)) for d in departments},
        metrics={m.code: _metric(m) for m in db.session.scalars(select(MetricDefinition))},
        notes=_notes(period.id, codes),
        strategies=_strategies(codes),
        reviews=_reviews(period.id, codes),
    )


def _metric(m: MetricDefinition) -> dict[str, Any]:
    return {
        "name": m.name, "unit": m.unit.value, "higher_is_better": m.direction == "higher",
        "target": m.target, "is_standard": m.is_standard, "description": m.description,
    }  # fmt: skip


def _notes(period_id: int, codes: dict[int, str]) -> dict[tuple[str, str], list[str]]:
    """The officers' notes of the period by (department code, metric code), in order."""
    query = (
        select(Observation.department_id, MetricDefinition.code, Observation.note)
        .join(MetricDefinition, MetricDefinition.id == Observation.metric_id)
        .where(Observation.period_id == period_id, Observation.note != "")
        .order_by(Observation.department_id, MetricDefinition.code, Observation.id)
    )
    out: dict[tuple[str, str], list[str]] = {}
    for dept, metric, note in db.session.execute(query):
        out.setdefault((codes[dept], metric), []).append(note)
    return out


def _strategies(codes: dict[int, str]) -> dict[str, list[StrategyFacts]]:
    query = (
        select(Strategy)
        .options(selectinload(Strategy.milestones))
        .order_by(Strategy.department_id, Strategy.title, Strategy.id)
    )
    out: dict[str, list[StrategyFacts]] = {}
    for s in db.session.scalars(query):
        milestones = tuple(
            (m.title, m.due_date.isoformat() if m.due_date else "", m.is_done)
            for m in sorted(s.milestones, key=lambda m: (m.due_date is None, m.due_date, m.id))
        )
        effective = s.effective_date.isoformat() if s.effective_date else ""
        out.setdefault(codes[s.department_id], []).append(
            StrategyFacts(
                s.id, s.title, s.description, s.status.value, s.progress, effective, milestones
            )  # fmt: skip
        )
    return out


def _reviews(period_id: int, codes: dict[int, str]) -> dict[str, tuple[str, str]]:
    query = select(PlanReview).where(PlanReview.period_id == period_id)
    return {codes[r.department_id]: (r.state.value, r.comment) for r in db.session.scalars(query)}


def earlier_results(labels: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The latest stored result of each of these periods (series for the XmR charts when the
    snapshot does not carry them itself)."""
    out: dict[str, dict[str, Any]] = {}
    for label in labels:
        period = period_by_label(label)
        if period is None:
            continue
        query = (
            select(RollupSnapshot.result)
            .where(RollupSnapshot.period_id == period.id)
            .order_by(RollupSnapshot.version.desc())
            .limit(1)
        )
        result = db.session.scalar(query)
        if result is not None:
            out[label] = expand_rollup(result)  # stored compact, as the API expands it
    return out


def periods_before(period: ReportingPeriod, count: int) -> list[str]:
    """The labels of up to `count` periods ending before this one, oldest first."""
    query = (
        select(ReportingPeriod.label)
        .where(ReportingPeriod.end_date < period.end_date)
        .order_by(ReportingPeriod.end_date.desc())
        .limit(count)
    )
    return list(reversed(db.session.scalars(query).all()))


def snapshot_by_id(snapshot_id: int) -> RollupSnapshot | None:
    """One snapshot."""
    return db.session.get(RollupSnapshot, snapshot_id)


def reports_query() -> Select[tuple[QuarterlyReport, str]]:
    """Every archived report with its period label, newest first."""
    return (
        select(QuarterlyReport, ReportingPeriod.label)
        .join(ReportingPeriod, ReportingPeriod.id == QuarterlyReport.period_id)
        .order_by(QuarterlyReport.queued_at.desc(), QuarterlyReport.id.desc())
    )


def report_by_id(report_id: int, with_pdf: bool = False) -> QuarterlyReport | None:
    """One report (its PDF loaded only when asked)."""
    query = select(QuarterlyReport).where(QuarterlyReport.id == report_id)
    if with_pdf:
        query = query.options(undefer(QuarterlyReport.pdf))
    return db.session.scalar(query)


def queued_report_ids() -> list[int]:
    """The reports waiting to be rendered, oldest first."""
    query = (
        select(QuarterlyReport.id)
        .where(QuarterlyReport.status == ReportStatus.QUEUED)
        .order_by(QuarterlyReport.queued_at, QuarterlyReport.id)
    )
    return list(db.session.scalars(query))


def running_reports() -> list[QuarterlyReport]:
    """The reports marked running (to find those whose renderer died)."""
    query = select(QuarterlyReport).where(QuarterlyReport.status == ReportStatus.RUNNING)
    return list(db.session.scalars(query))


def report_for_close_key(key: str) -> QuarterlyReport | None:
    """The quarter-close report made for a final snapshot, if any."""
    return db.session.scalar(select(QuarterlyReport).where(QuarterlyReport.close_key == key))


def period_label(period_id: int) -> str:
    """A period's label."""
    period = db.session.get(ReportingPeriod, period_id)
    return period.label if period else "?"


def reported_periods() -> list[str]:
    """The labels of periods with a rollup snapshot, newest first (what a report can cover)."""
    query = (
        select(ReportingPeriod.label)
        .where(ReportingPeriod.id.in_(select(RollupSnapshot.period_id)))
        .order_by(ReportingPeriod.end_date.desc())
    )
    return list(db.session.scalars(query))


def closed_periods() -> list[ReportingPeriod]:
    """The closed periods (their final snapshots get the quarter-close report)."""
    query = select(ReportingPeriod).where(ReportingPeriod.state == "closed")
    return list(db.session.scalars(query.order_by(ReportingPeriod.end_date)))


def unannounced_reports() -> list[QuarterlyReport]:
    """Quarter-close reports whose e-mail to the chief has not gone out."""
    query = select(QuarterlyReport).where(
        QuarterlyReport.close_key.is_not(None), QuarterlyReport.mailed_at.is_(None)
    )
    return list(db.session.scalars(query))


def requesters(ids: set[int]) -> dict[int, str]:
    """Names of the users who asked for reports, by id."""
    from cxprogram.auth.models import User

    query = select(User.id, User.name).where(User.id.in_(sorted(ids)))
    return dict(db.session.execute(query).tuples().all())
