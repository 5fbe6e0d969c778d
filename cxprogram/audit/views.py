"""Audit history of a department-period, and the chief's export of the whole log."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date

from flask import Blueprint, Response, abort, render_template, request, stream_with_context
from sqlalchemy import Select

from cxprogram.audit import queries
from cxprogram.audit.calc import compute_entries
from cxprogram.auth.models import Role
from cxprogram.core.models import AuditEvent, utcnow
from cxprogram.core.permissions import roles, signed_in
from cxprogram.extensions import db
from cxprogram.imports.tabular import neutralise
from cxprogram.metrics.access import readable_department_period
from cxprogram.metrics.periods import period_due_date
from cxprogram.org.queries import department_codes

bp = Blueprint("audit", __name__)

COLUMNS = (
    "id", "occurred_at", "actor", "action", "entity_type", "entity_id", "department",
    "period", "before", "after", "reason",
)  # fmt: skip


@bp.route("/departments/<code>/periods/<label>/history")
@signed_in
def view_history(code: str, label: str) -> str:
    """Every change to a department's values and plan in one period, and its strategies'
    and services' changes while the period was reported on, newest first, in plain words."""
    dept, period = readable_department_period(code, label)
    due = period_due_date(period.label)
    until = queries.history_until(period, due, utcnow().date())
    query = queries.history_query(dept.id, period.label, period.start_date, until)
    events = db.session.scalars(query.limit(1000)).all()
    entries = compute_entries(events, queries.names_for(events), queries.organization_zone())
    return render_template(
        "audit/view_history.html", department=dept, period=period, entries=entries,
        until=until, due=due,
    )  # fmt: skip


def _date_arg(name: str) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        abort(400, f"{name} is not a date (YYYY-MM-DD)")


@bp.route("/audit")
@roles(Role.CHIEF)
def export_audit() -> str:
    """The export page: choose an optional date range and download the log as CSV."""
    return render_template(
        "audit/export_audit.html", start=request.args.get("start", ""),
        end=request.args.get("end", ""),
    )  # fmt: skip


@bp.route("/audit/export.csv")
@roles(Role.CHIEF)
def download_audit() -> Response:
    """The whole audit log (optionally from/to a date) as CSV, streamed, cells neutralised."""
    start, end = _date_arg("start"), _date_arg("end")
    query = queries.export_query(start, end).execution_options(yield_per=500)
    name = f"audit-log{'-from-' + start.isoformat() if start else ''}"
    name += f"{'-to-' + end.isoformat() if end else ''}.csv"
    body = stream_with_context(_csv_lines(query))
    return Response(
        body, mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )  # fmt: skip


def _csv_lines(query: Select[tuple[AuditEvent]]) -> Iterator[str]:
    """The CSV, read while it is sent. The view's database session is closed by then (the
    app context ends when the view returns), so the rows are read here, in the session
    stream_with_context opens again, which is closed when the last line is sent."""
    codes = department_codes()
    events = db.session.scalars(query)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for event in events:
        writer.writerow([neutralise(cell) for cell in _cells(event, codes)])
        if buffer.tell() > 16_384:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _cells(event: AuditEvent, codes: dict[int, str]) -> list[object]:
    def as_json(value: object) -> str:
        return "" if value is None else json.dumps(value, sort_keys=True, default=str)

    return [
        event.id, event.occurred_at.isoformat(), event.actor_label, event.action,
        event.entity_type, event.entity_id,
        codes.get(event.department_id, "") if event.department_id else "",
        event.period_label or "", as_json(event.before), as_json(event.after), event.reason or "",
    ]  # fmt: skip
