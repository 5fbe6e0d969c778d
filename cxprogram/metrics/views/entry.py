"""The data-entry grid: one department's values for one period, saved all or nothing.
People who edit the department get inputs; people who only read it the same grid without
them (chiefs, who edit every department, open it read-only and switch to editing)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from cxprogram.core import inputs
from cxprogram.core.fiscal import parse_period
from cxprogram.core.permissions import (
    can_edit_department,
    can_read_department,
    editable_department_ids,
    require_edit,
    signed_in,
)
from cxprogram.extensions import db
from cxprogram.metrics import entry
from cxprogram.metrics.calc import CellError
from cxprogram.metrics.forms import GridForm
from cxprogram.metrics.grid_page import metric_groups, shown_row
from cxprogram.metrics.models import ReportingPeriod
from cxprogram.metrics.observation_writes import ConcurrentChangeError, WriteRefused
from cxprogram.metrics.periods import reporting_window
from cxprogram.metrics.queries import (
    GridRow,
    grid_rows,
    new_row_key,
    parse_new_row_key,
    reported_metrics_query,
)
from cxprogram.metrics.services import PeriodClosedError
from cxprogram.metrics.views import progress
from cxprogram.metrics.views.blueprint import bp, load_period
from cxprogram.org import queries as org_queries
from cxprogram.org.models import Department
from cxprogram.org.queries import department_or_404
from cxprogram.review.forms import SubmitForm
from cxprogram.review.progress import what_is_left
from cxprogram.review.services import COVER_NOTE_LIMIT
from cxprogram.strategies.services import EditConflict

Page = tuple[str, int]


def _new_key_of(metric: int | None, service: int | None, channel: int | None) -> list[str]:
    return [new_row_key(metric, service, channel)] if metric else []


def _add_request() -> list[str]:
    """The cell the add-a-row controls name (a GET's query, or the grid's own submit)."""
    if request.method == "GET":
        metric = inputs.int_arg("metric")
        return _new_key_of(metric, inputs.int_arg("service"), inputs.int_arg("channel"))
    if request.form.get("action") != "add":
        return []
    numbers = [inputs.to_int(request.form.get(f"add-{f}", "")) for f in ("metric", "service",
                                                                         "channel")]  # fmt: skip
    return _new_key_of(*numbers)


def _added_keys() -> list[str]:
    """Cells the person added: those named in the URL or the grid's form, and this add."""
    keys = request.values.getlist("add")
    return keys + [k for k in request.form.getlist("row") if k.startswith("n")] + _add_request()


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


def _is_editing(department: Department, period: ReportingPeriod) -> bool:
    """Inputs for people who edit the department while the period is open; a chief (who
    edits every department) opens the grid read-only and asks for inputs with ?edit=1."""
    if period.is_closed or not can_edit_department(current_user, department.id):
        return False
    assigned = editable_department_ids(current_user) is not None
    return assigned or request.method == "POST" or bool(request.args.get("edit"))


def _previous_label(period: ReportingPeriod, back: int = 1) -> str:
    try:
        return parse_period(period.label).shift(-back).label
    except ValueError:
        return "the previous period"


@dataclass(frozen=True)
class Steps:
    """The grid page's other steps: progress updates as typed (with their errors)."""

    updates: dict[int, progress.TypedUpdate] = field(default_factory=dict)
    errors: dict[int, dict[str, str]] = field(default_factory=dict)


def _render(
    department: Department,
    period: ReportingPeriod,
    rows: list[GridRow],
    status: int = 200,
    typed: dict[str, entry.Submitted] | None = None,
    errors: list[CellError] | None = None,
    conflicts: list[entry.Conflict] | None = None,
    add_error: str = "",
    focus: str = "",
    steps: Steps | None = None,
) -> Page:
    typed, errors, steps = typed or {}, errors or [], steps or Steps()
    by_row: dict[str, dict[str, str]] = {}
    for error in errors:
        by_row.setdefault(error.key, {})[error.field] = error.reason
    shown = [shown_row(r, typed.get(r.key), by_row.get(r.key, {})) for r in rows]
    editing = _is_editing(department, period)
    strategies = progress.open_strategies(department, period) if editing else []
    page = render_template(
        "metrics/edit_grid.html", department=department, period=period,
        groups=metric_groups(shown), errors=errors, conflicts=conflicts or [], form=GridForm(),
        editing=editing, can_edit=can_edit_department(current_user, department.id),
        previous_label=_previous_label(period), add_error=add_error, focus=focus,
        previous_year_label=_previous_label(period, back=4),
        metrics=db.session.scalars(
            reported_metrics_query(department.id, parse_period(period.label).quarter)
        ).all(),
        channels=org_queries.channels(),
        has_history="audit.view_history" in current_app.view_functions,
        strategies=strategies, updates=steps.updates, update_errors=steps.errors,
        status_options=progress.STATUS_OPTIONS, **_left(department, period, editing, status),
    )  # fmt: skip
    return page, status


def _left(
    department: Department, period: ReportingPeriod, editing: bool, status: int
) -> dict[str, object]:
    """What is left in the period, for an editor's grid as stored (not a refused save's)."""
    if not editing or status != 200 or request.method == "POST":
        return {"left": None}
    return {"left": what_is_left(department, period), "submit_form": SubmitForm(formdata=None),
            "cover_limit": COVER_NOTE_LIMIT}  # fmt: skip


@bp.route("/departments/<code>/periods/<label>/entry", methods=["GET", "POST"])
@signed_in
def edit_grid(code: str, label: str) -> Response | Page:
    """Every metric the department reports, by service and channel, for one period."""
    department, period = department_or_404(code), load_period(label)
    if not can_read_department(current_user, department.id):
        abort(403)
    if request.method == "POST":
        require_edit(current_user, department.id)
    rows = grid_rows(department, period, _added_keys())
    if request.method == "GET":
        return _render(department, period, rows)
    if not GridForm().validate_on_submit():
        flash("The form was missing its security token. Reload the page and try again.", "error")
        return _render(department, period, rows, 400, _submitted())
    if request.form.get("action") == "add":
        return _add_row(department, period, rows, _submitted())
    return _save(department, period, rows, _submitted())


def _add_row(
    department: Department,
    period: ReportingPeriod,
    rows: list[GridRow],
    typed: dict[str, entry.Submitted],
) -> Page:
    """Add a row and show the grid again with everything typed so far, saved or not."""
    keys = _add_request()
    cell = parse_new_row_key(keys[0]) if keys else None
    row = next((r for r in rows if cell and r.cell == cell and r.standard is None), None)
    if row is None:
        return _render(department, period, rows, 200, typed,
                       add_error="Choose a metric, and a service of this department.")  # fmt: skip
    refused = entry.channel_errors([row]) if row.observation is None else []
    if refused:
        kept = [r for r in rows if r.cell != row.cell or r.observation is not None]
        reason = refused[0].reason
        return _render(department, period, kept, 200, typed, add_error=f"Not added: {reason}.")
    return _render(department, period, rows, 200, typed, focus=row.key)


def _save(
    department: Department,
    period: ReportingPeriod,
    rows: list[GridRow],
    typed: dict[str, entry.Submitted],
) -> Response | Page:
    """Save the values and the progress updates together: all of them, or nothing."""
    updates = progress.typed_updates(progress.open_strategies(department, period))
    steps = Steps(updates, progress.update_errors(updates, period))
    try:
        count = entry.save_grid(department, period, rows, typed, current_user)
        if steps.errors:
            raise UpdatesInvalid
        added = progress.write_updates(updates, period, current_user)
        db.session.commit()
    except PeriodClosedError as closed:
        db.session.rollback()
        flash(str(closed), "error")
        return _render(department, period, rows, 409)
    except entry.GridInvalid as invalid:
        db.session.rollback()
        # 200, as for any form shown again with its errors (nothing was written)
        return _render(department, period, rows, 200, typed, errors=invalid.errors, steps=steps)
    except UpdatesInvalid:
        db.session.rollback()
        return _render(department, period, rows, 200, typed, steps=steps)
    except EditConflict:
        db.session.rollback()
        flash(STALE_STRATEGY, "error")
        return _render(department, period, rows, 409, typed, steps=Steps(updates))
    except (entry.GridConflict, ConcurrentChangeError, StaleDataError) as conflict:
        db.session.rollback()
        return _conflict(department, period, typed, conflict)
    except WriteRefused as refused:  # the write service's own rules (the grid checks first)
        db.session.rollback()
        flash(f"Nothing was saved: {refused}.", "error")
        return _render(department, period, rows, 200, typed, steps=steps)
    flash(_saved_message(count, added, period), "success")
    edit = 1 if request.args.get("edit") else None
    return redirect(url_for("metrics.edit_grid", code=department.code, label=period.label,
                            edit=edit))  # fmt: skip


class UpdatesInvalid(Exception):
    """A progress update typed on the grid breaks a rule; nothing was written."""


STALE_STRATEGY = (
    "Nothing was saved: someone else changed one of the strategies below since you opened "
    "the page. Your values and your updates are still here; save again to send them."
)


def _saved_message(count: int, added: int, period: ReportingPeriod) -> str:
    text = f"Saved {count} value{'s' if count != 1 else ''} for {period.label}."
    if added:
        text += f" Added {added} progress update{'s' if added != 1 else ''} for {period.label}."
    return text


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
