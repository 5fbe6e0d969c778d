"""Writes for quarterly reports: queue one, claim it for rendering, record progress, archive
the result or the failure. Flushes, never commits (the job or request boundary does)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update

from cxprogram.auth.models import User
from cxprogram.core import audit
from cxprogram.extensions import db
from cxprogram.metrics.models import ReportingPeriod
from cxprogram.reports import queries
from cxprogram.reports.facts import ReportFacts
from cxprogram.reports.models import QuarterlyReport, ReportStatus
from cxprogram.rollup.document import snapshot_document
from cxprogram.rollup.models import RollupSnapshot
from cxprogram.rollup.queries import latest_snapshot

HISTORY = 11  # earlier periods read for the charts when the snapshot carries no series


class NoSnapshot(LookupError):
    """The period has no rollup snapshot to report on yet."""


@dataclass(frozen=True)
class Payload:
    """What the renderer needs, as plain data (it crosses into the child process)."""

    report_id: int | None
    document: dict[str, Any]
    facts: ReportFacts
    identifier: bytes


def report_payload(
    period: ReportingPeriod, snapshot: RollupSnapshot, report_id: int | None
) -> Payload:
    """The snapshot's document and the facts beside it, read in this transaction."""
    document = snapshot_document(snapshot)
    facts = queries.report_facts(period)
    if not document.get("periods"):
        facts.history = queries.earlier_results(queries.periods_before(period, HISTORY))
    seed = f"{period.label}:{snapshot.version}:{snapshot.inputs_hash}".encode()
    return Payload(report_id, document, facts, hashlib.sha256(seed).digest()[:16])


def request_report(
    period: ReportingPeriod, user: User | None, label: str, close_key: str | None = None
) -> QuarterlyReport:
    """Queue a report of the period's latest snapshot (the renderer picks it up)."""
    snapshot = latest_snapshot(period.id, with_result=False)
    if snapshot is None:
        raise NoSnapshot(f"No rollup of {period.label} yet: nothing to report on.")
    report = QuarterlyReport(
        period_id=period.id, snapshot_id=snapshot.id, snapshot_version=snapshot.version,
        status=ReportStatus.QUEUED, requested_by_id=user.id if user else None,
        requested_by_label=user.email if user else label, close_key=close_key,
    )  # fmt: skip
    db.session.add(report)
    db.session.flush()
    audit.record(
        "request",
        "quarterly_report",
        report.id,
        actor=user,
        period_label=period.label,
        after={"snapshot_version": snapshot.version, "requested_by": report.requested_by_label},
    )
    return report


def claim(report_id: int, now: datetime, pid: int) -> bool:
    """Mark a queued report running; False when another renderer took it first."""
    result = db.session.execute(
        update(QuarterlyReport)
        .where(QuarterlyReport.id == report_id, QuarterlyReport.status == ReportStatus.QUEUED)
        .values(
            status=ReportStatus.RUNNING,
            started_at=now,
            heartbeat_at=now,
            render_pid=pid,
            stage="reading the snapshot",
        )  # fmt: skip
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def record_progress(report_id: int, now: datetime, **values: Any) -> None:
    """Store the renderer's progress (stage, sections, pages) and its heartbeat."""
    db.session.execute(
        update(QuarterlyReport)
        .where(QuarterlyReport.id == report_id, QuarterlyReport.status == ReportStatus.RUNNING)
        .values(heartbeat_at=now, **values)
    )


def archive(
    report: QuarterlyReport, pdf: bytes, pages: int, now: datetime, timings: dict[str, float]
) -> None:
    """Store the finished PDF with its digest, size, pages and timings."""
    report.pdf = pdf
    report.sha256 = hashlib.sha256(pdf).hexdigest()
    report.size_bytes = len(pdf)
    report.pages = report.pages_laid_out = pages
    report.status = ReportStatus.DONE
    report.stage = "done"
    report.finished_at = now
    report.build_seconds = timings.get("build")
    report.render_seconds = timings.get("render")
    report.render_pid = None
    audit.record(
        "archive",
        "quarterly_report",
        report.id,
        period_label=queries.period_label(report.period_id),
        after={"sha256": report.sha256, "size": report.size_bytes, "pages": pages},
    )


def fail(report: QuarterlyReport, reason: str, now: datetime) -> None:
    """Mark the report failed with its reason; no PDF is stored."""
    report.status = ReportStatus.FAILED
    report.error = reason[:2000]
    report.stage = "failed"
    report.finished_at = now
    report.render_pid = None
    audit.record(
        "fail",
        "quarterly_report",
        report.id,
        period_label=queries.period_label(report.period_id),
        reason=reason[:500],
    )


def close_key(period: ReportingPeriod, snapshot: RollupSnapshot) -> str:
    """The key of the one report a quarter's final snapshot gets."""
    return f"quarter-close:{period.id}:{snapshot.id}"


def snapshot_of(report: QuarterlyReport) -> RollupSnapshot:
    """The snapshot a report was queued for."""
    snapshot = db.session.get(RollupSnapshot, report.snapshot_id)
    assert snapshot is not None
    return snapshot
