"""The data-entry grid: one department's values for one period, saved all or nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from cxprogram.core import inputs
from cxprogram.core.permissions import require_edit, signed_in
from cxprogram.extensions import db
from cxprogram.metrics import entry
from cxprogram.metrics.calc import CellError, parse_number
from cxprogram.metrics.forms import GridForm
from cxprogram.metrics.models import ReportingPeriod
from cxprogram.metrics.observation_writes import ConcurrentChangeError
from cxprogram.metrics.periods import reporting_window
from cxprogram.metrics.queries import GridRow, grid_rows, new_row_key, reported_metrics_query
from cxprogram.metrics.services import PeriodClosedError
from cxprogram.metrics.views.blueprint import bp, load_period
from cxprogram.org import queries as org_queries
from cxprogram.org.models import Department
from cxprogram.org.queries import department_or_404

Page = tuple[str, int]


@dataclass(frozen=True)
class ShownRow:
    """A grid row as the page shows it: the stored values, or what the person typed."""

    row: GridRow
    value: str
    n: str
    note: str
    version: str
    was: str
    status: str | None
    errors: dict[str, str]


def _fmt(number: float | None) -> str:
    if number is None:
        return ""
    return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)


def _shown(row: GridRow, sent: entry.Submitted | None, errors: dict[str, str]) -> ShownRow:
    obs = row.observation
    if sent is None:
        sent = entry.Submitted(
            _fmt(obs.value) if obs else "", _fmt(obs.n) if obs else "",
            obs.note if obs else "", str(obs.version) if obs else "",
        )  # fmt: skip
    try:
        value = parse_number(sent.value)
    except ValueError:
        value = None
    status = row.rule.status(value)
    was = json.dumps(list(sent.was or (sent.value, sent.n, sent.note)))
    return ShownRow(row, sent.value, sent.n, sent.note, sent.version, was, status, errors)


def _added_keys(department: Department) -> list[str]:
    """Cells the person asked to add (GET: the add-a-row form; POST: the rows it sent)."""
    keys = request.values.getlist("add")
    metric = inputs.int_arg("metric")
    if metric:
        service, channel = inputs.int_arg("service"), inputs.int_arg("channel")
        keys.append(new_row_key(metric, service, channel))
    return keys + [k for k in request.form.getlist("row") if k.startswith("n")]


def _submitted() -> dict[str, entry.Submitted]:
    form = request.form
    return {
        key: entry.Submitted(
            form.get(f"{key}-value", ""),
            form.get(f"{key}-n", ""),
            form.get(f"{key}-note", ""),
            form.get(f"{key}-version", ""),
            _was(form.get(f"{key}-was", "")),
        )  # fmt: skip
        for key in form.getlist("row")
    }


def _was(raw: str) -> tuple[str, str, str] | None:
    """The row as the page first showed it (None when missing or malformed)."""
    try:
        value, n, note = json.loads(raw)
    except (ValueError, TypeError):
        return None
    return (str(value), str(n), str(note))


def _render(
    department: Department,
    period: ReportingPeriod,
    rows: list[GridRow],
    status: int = 200,
    typed: dict[str, entry.Submitted] | None = None,
    errors: list[CellError] | None = None,
    conflicts: list[entry.Conflict] | None = None,
) -> Page:
    typed, errors = typed or {}, errors or []
    by_row: dict[str, dict[str, str]] = {}
    for error in errors:
        by_row.setdefault(error.key, {})[error.field] = error.reason
    shown = [_shown(r, typed.get(r.key), by_row.get(r.key, {})) for r in rows]
    added = [r.key for r in rows if r.observation is None]
    page = render_template(
        "metrics/edit_grid.html", department=department, period=period, rows=shown,
        errors=errors, conflicts=conflicts or [], form=GridForm(), added=added,
        metrics=db.session.scalars(reported_metrics_query(department.id)).all(),
        channels=org_queries.channels(),
        has_history="audit.view_history" in current_app.view_functions,
    )  # fmt: skip
    return page, status


@bp.route("/departments/<code>/periods/<label>/entry", methods=["GET", "POST"])
@signed_in
def edit_grid(code: str, label: str) -> Response | Page:
    """Every metric the department reports, by service and channel, for one period."""
    department, period = department_or_404(code), load_period(label)
    require_edit(current_user, department.id)
    rows = grid_rows(department, period, _added_keys(department))
    if request.method == "GET":
        return _render(department, period, rows)
    if not GridForm().validate_on_submit():
        flash("The form was missing its security token. Reload the page and try again.", "error")
        return _render(department, period, rows, 400, _submitted())
    return _save(department, period, rows, _submitted())


def _save(
    department: Department,
    period: ReportingPeriod,
    rows: list[GridRow],
    typed: dict[str, entry.Submitted],
) -> Response | Page:
    try:
        count = entry.save_grid(department, period, rows, typed, current_user)
        db.session.commit()
    except PeriodClosedError as closed:
        db.session.rollback()
        flash(str(closed), "error")
        return _render(department, period, rows, 409)
    except entry.GridInvalid as invalid:
        db.session.rollback()
        # 200, as for any form shown again with its errors (nothing was written)
        return _render(department, period, rows, 200, typed, errors=invalid.errors)
    except (entry.GridConflict, ConcurrentChangeError, StaleDataError) as conflict:
        db.session.rollback()
        return _conflict(department, period, typed, conflict)
    flash(f"Saved {count} value{'s' if count != 1 else ''} for {period.label}.", "success")
    return redirect(url_for("metrics.edit_grid", code=department.code, label=period.label))


def _conflict(
    department: Department,
    period: ReportingPeriod,
    typed: dict[str, entry.Submitted],
    error: Exception,
) -> Page:
    """409: show what the others saved and keep what this person typed."""
    rows = grid_rows(department, period, [k for k in typed if k.startswith("n")])
    found = error if isinstance(error, entry.GridConflict) else entry.find_conflicts(rows, typed)
    conflicts = found.conflicts if found else []
    kept = found.typed if found else typed
    return _render(department, period, rows, 409, kept, conflicts=conflicts)


@bp.route("/departments/<code>/entry")
@signed_in
def current_grid(code: str) -> Response:
    """The grid of the current reporting period (the latest open one)."""
    department = department_or_404(code)
    require_edit(current_user, department.id)
    window = reporting_window(date.today())
    if window.period_id is None:
        abort(404)
    return redirect(url_for("metrics.edit_grid", code=department.code, label=window.label))
