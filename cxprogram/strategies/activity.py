"""A strategy's detail page and its activity: progress updates and milestones.

Each action carries the strategy version the person saw; a stale one gets the detail
page again with 409, showing what changed and keeping what this person typed.
"""

from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from cxprogram.core.permissions import can_edit_department, roles
from cxprogram.extensions import db
from cxprogram.review.queries import strategy_lock_reason
from cxprogram.strategies import queries, services
from cxprogram.strategies.blueprint import WRITERS, bp, load_strategy, require_writable
from cxprogram.strategies.forms import (
    MilestoneForm,
    TickForm,
    UpdateForm,
    parse_percent,
    parse_status,
    parse_version,
)
from cxprogram.strategies.models import Milestone, Strategy, StrategyStatus


def render_detail(
    strategy: Strategy,
    update_form: UpdateForm | None = None,
    milestone_form: MilestoneForm | None = None,
    conflict: dict[str, object] | None = None,
) -> str:
    """The detail page, with the activity forms (fresh, or as the person filled them)."""
    update_form = update_form or UpdateForm(formdata=None)
    milestone_form = milestone_form or MilestoneForm(formdata=None)
    for form in (update_form, milestone_form):
        form.version.data = str(strategy.version)
    lock = strategy_lock_reason(current_user, strategy.department)
    updates = db.session.scalars(queries.updates_query(strategy.id)).all()
    return render_template(
        "strategies/view_strategy.html", strategy=strategy, updates=updates,
        today=date.today(), is_late=queries.is_late, lock_reason=lock,
        can_edit=can_edit_department(current_user, strategy.department_id) and lock is None
        and strategy.status != StrategyStatus.CANCELLED,
        update_form=update_form, milestone_form=milestone_form,
        tick_form=TickForm(formdata=None), conflict=conflict,
    )  # fmt: skip


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
    )
    try:
        services.add_update(strategy, data, parse_version(form.version.data), current_user)
        db.session.commit()
    except (services.EditConflict, StaleDataError):
        return _conflict(strategy_id, update_form=form)
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
    is_done = form.done.data == "1"
    try:
        services.set_milestone_done(
            strategy, milestone, is_done, parse_version(form.version.data), current_user
        )
        db.session.commit()
    except (services.EditConflict, StaleDataError):
        return _conflict(strategy_id)
    flash(f"Milestone “{milestone.title}” {'done' if is_done else 'reopened'}.", "success")
    return _back(strategy, "milestones")
