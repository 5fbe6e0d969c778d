"""A strategy's detail page and its activity: progress updates and milestones.

Each action carries the strategy version the person saw; a stale one gets the detail
page again with 409, showing what changed and keeping what this person typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from cxprogram.core.permissions import can_edit_department, roles
from cxprogram.extensions import db
from cxprogram.metrics.models import ReportingPeriod
from cxprogram.metrics.queries import period_by_label
from cxprogram.review.queries import current_period, strategy_lock_reason
from cxprogram.strategies import queries, services
from cxprogram.strategies.blueprint import WRITERS, bp, load_strategy, require_writable
from cxprogram.strategies.forms import (
    MilestoneForm,
    TickForm,
    UpdateForm,
    parse_date,
    parse_percent,
    parse_status,
    parse_version,
)
from cxprogram.strategies.models import Milestone, Strategy, StrategyStatus


@dataclass(frozen=True)
class TickRefusal:
    """A milestone's "done" refused: which milestone, what was typed, why."""

    milestone_id: int
    typed: str
    message: str


def render_detail(
    strategy: Strategy,
    update_form: UpdateForm | None = None,
    milestone_form: MilestoneForm | None = None,
    conflict: dict[str, object] | None = None,
    tick: TickRefusal | None = None,
) -> str:
    """The detail page, with the activity forms (fresh, or as the person filled them)."""
    update_form = update_form or UpdateForm(formdata=None)
    milestone_form = milestone_form or MilestoneForm(formdata=None)
    for form in (update_form, milestone_form):
        form.version.data = str(strategy.version)
    periods = db.session.scalars(queries.open_periods_query()).all()
    update_form.update_period.choices = [SelectChoice(p.label, p.label) for p in periods]
    if not update_form.update_period.data:
        current = current_period()
        update_form.update_period.data = current.label if current else ""
    lock = strategy_lock_reason(current_user, strategy.department)
    updates = db.session.scalars(queries.updates_query(strategy.id)).all()
    return render_template(
        "strategies/view_strategy.html", strategy=strategy, updates=updates,
        today=date.today(), is_late=queries.is_late, lock_reason=lock,
        can_edit=can_edit_department(current_user, strategy.department_id) and lock is None
        and strategy.status != StrategyStatus.CANCELLED,
        update_form=update_form, milestone_form=milestone_form,
        tick_form=TickForm(formdata=None), conflict=conflict, tick=tick,
    )  # fmt: skip


def chosen_period(label: str | None) -> ReportingPeriod | None:
    """The period a progress update names (the current one when it names none)."""
    if not (label or "").strip():
        return current_period()
    return period_by_label(label or "")


def _conflict(strategy_id: int, **forms: UpdateForm | MilestoneForm) -> tuple[str, int]:
    db.session.rollback()
    current = db.session.get(Strategy, strategy_id)
    assert current is not None
    theirs = services.strategy_state(current)
    return render_detail(current, conflict=theirs, **forms), 409


def _back(strategy: Strategy, anchor: str) -> Response:
    url = url_for("strategies.view_strategy", strategy_id=strategy.id, _anchor=anchor)
    return redirect(url)


@bp.route("/<int:strategy_id>/updates", methods=["POST"])
@roles(*WRITERS)
def add_update(strategy_id: int) -> Response | str | tuple[str, int]:
    """Log a progress note; it may also set the status and progress."""
    strategy = load_strategy(strategy_id)
    require_writable(strategy.department, strategy)
    form = UpdateForm()
    if not form.validate_on_submit():
        return render_detail(strategy, update_form=form), 200
    data = services.UpdateData(
        commentary=form.commentary.data or "",
        status=parse_status(form.update_status.data),
        progress=parse_percent(form.update_progress.data),
        period=chosen_period(form.update_period.data),
    )
    try:
        services.add_update(strategy, data, parse_version(form.version.data), current_user)
        db.session.commit()
    except (services.EditConflict, StaleDataError):
        return _conflict(strategy_id, update_form=form)
    except services.StrategyInvalid as error:
        db.session.rollback()
        for name, messages in error.errors.items():
            if name in form:
                form[name].errors = [*form[name].errors, *messages]
        return render_detail(strategy, update_form=form), 200
    flash("Progress update added.", "success")
    return _back(strategy, "updates")


@bp.route("/<int:strategy_id>/milestones", methods=["POST"])
@roles(*WRITERS)
def add_milestone(strategy_id: int) -> Response | str | tuple[str, int]:
    """Add a milestone."""
    strategy = load_strategy(strategy_id)
    require_writable(strategy.department, strategy)
    form = MilestoneForm()
    if not form.validate_on_submit():
        return render_detail(strategy, milestone_form=form), 200
    title, due = form.milestone_title.data or "", form.milestone_due.data
    try:
        services.add_milestone(strategy, title, due, parse_version(form.version.data), current_user)
        db.session.commit()
    except (services.EditConflict, StaleDataError):
        return _conflict(strategy_id, milestone_form=form)
    flash(f"Milestone “{title.strip()}” added.", "success")
    return _back(strategy, "milestones")


@bp.route("/<int:strategy_id>/milestones/<int:milestone_id>/done", methods=["POST"])
@roles(*WRITERS)
def tick_milestone(strategy_id: int, milestone_id: int) -> Response | str | tuple[str, int]:
    """Mark a milestone done, or reopen it."""
    strategy = load_strategy(strategy_id)
    require_writable(strategy.department, strategy)
    milestone = db.session.get(Milestone, milestone_id)
    form = TickForm()
    if milestone is None or milestone.strategy_id != strategy.id or not form.validate_on_submit():
        return render_detail(strategy), 400
    is_done, typed = form.done.data == "1", (form.done_on.data or "").strip()
    done_on = parse_date(typed) if typed else date.today()
    if is_done and done_on is None:  # typed, but not a date
        message = services.done_on_error(None, date.today()) or ""
        return render_detail(strategy, tick=TickRefusal(milestone_id, typed, message)), 200
    try:
        services.set_milestone_done(
            strategy, milestone, is_done, parse_version(form.version.data), current_user,
            done_on=done_on,
        )  # fmt: skip
        db.session.commit()
    except (services.EditConflict, StaleDataError):
        return _conflict(strategy_id)
    except services.StrategyInvalid as error:
        db.session.rollback()
        refusal = TickRefusal(milestone_id, typed, error.errors["done_on"][0])
        return render_detail(strategy, tick=refusal), 200
    when = f" on {done_on.isoformat()}" if is_done and done_on else ""
    flash(f"Milestone “{milestone.title}” {'done' + when if is_done else 'reopened'}.", "success")
    return _back(strategy, "milestones")
