"""The chief's plan review queue: the submitted plans of a period, oldest first, with a
CSV of the same table. The period is in the query string (?period=FY2023-Q1), so a URL can
be shared; without one, the current period."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from flask import Response, abort, render_template, request
from flask_login import current_user

from cxprogram.auth.models import Role
from cxprogram.core.models import utcnow
from cxprogram.core.permissions import roles
from cxprogram.exports.formats import csv_attachment
from cxprogram.extensions import db
from cxprogram.metrics.models import ReportingPeriod
from cxprogram.metrics.queries import period_by_label
from cxprogram.metrics.reds import department_reds
from cxprogram.org.models import Department
from cxprogram.review import queries
from cxprogram.review.blueprint import bp
from cxprogram.review.models import PlanReview

READERS = (Role.CHIEF, Role.VIEWER)  # viewers read the queue; only the chief decides
CSV_COLUMNS = (
    "period", "department", "department_name", "submitted_at_utc", "submitted_by",
    "days_waiting", "strategies", "reds", "reds_explained", "cover_note",
)  # fmt: skip


@dataclass(frozen=True)
class QueueRow:
    """One submitted plan waiting for the chief's decision."""

    period: str
    department: Department
    submitted_at: datetime | None
    submitted_by: str
    days_waiting: int | None
    strategies: int | None  # None: submitted before snapshots were kept
    reds: int
    reds_explained: int
    cover_note: str = ""


def _period() -> ReportingPeriod | None:
    """The period of ?period=, or the current one (None before any exists); 404 when the
    query names no period."""
    label = request.args.get("period", "").strip()
    if not label:
        return queries.current_period()
    period = period_by_label(label)
    if period is None:
        abort(404, f"There is no reporting period {label[:20]!r}.")
    return period


def queue_rows(period: ReportingPeriod) -> list[QueueRow]:
    """The submitted plans of the period the user reads, oldest submission first."""
    pairs = db.session.execute(queries.queue_query(period.id, current_user)).tuples().all()
    names = queries.user_names({r.submitted_by_id for r, _ in pairs if r.submitted_by_id})
    reds = department_reds(period.id, [d.id for _, d in pairs])
    total, explained = (
        Counter(r.department_id for r in reds),
        Counter(r.department_id for r in reds if r.is_explained),
    )
    now = utcnow()
    return [
        QueueRow(period.label, dept, review.submitted_at,
                 names.get(review.submitted_by_id or 0, ""),
                 (now - review.submitted_at).days if review.submitted_at else None,
                 _strategy_count(review), total[dept.id], explained[dept.id],
                 review.cover_note)
        for review, dept in pairs
    ]  # fmt: skip


def _strategy_count(review: PlanReview) -> int | None:
    snapshot = review.strategies_snapshot
    return None if snapshot is None else len(snapshot)


@bp.route("/review/plans")
@roles(*READERS)
def list_queue() -> str:
    """The review queue of a period: submitted plans, oldest first, and the other states."""
    period = _period()
    if period is None:
        return render_template("review/list_queue.html", period=None, rows=[], periods=[])
    return render_template(
        "review/list_queue.html", period=period, rows=queue_rows(period),
        periods=db.session.scalars(queries.periods_query()).all(),
        counts=queries.state_counts(period.id, current_user), computed_at=utcnow(),
        can_decide=current_user.role == Role.CHIEF and not period.is_closed,
    )  # fmt: skip


@bp.route("/review/plans.csv")
@roles(*READERS)
def download_queue() -> Response:
    """The review queue's table as CSV (cells neutralised for spreadsheets)."""
    period = _period()
    rows = [
        [row.period, row.department.code, row.department.name,
         row.submitted_at.isoformat() if row.submitted_at else "", row.submitted_by,
         row.days_waiting, row.strategies, row.reds, row.reds_explained, row.cover_note]
        for row in (queue_rows(period) if period is not None else [])
    ]  # fmt: skip
    name = f"review-queue-{period.label if period else 'none'}.csv"
    return csv_attachment(CSV_COLUMNS, rows, name)
