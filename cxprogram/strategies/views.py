"""Strategy pages: the list, a strategy's detail, create, edit, cancel and history.

Milestones and progress updates are in `activity.py`, on the same blueprint.
"""

from __future__ import annotations

import re
from datetime import date

from flask import (
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from cxprogram.audit import queries as audit_queries
from cxprogram.audit.calc import compute_entries
from cxprogram.auth.models import Role
from cxprogram.core import inputs
from cxprogram.core.permissions import (
    can_edit_department,
    roles,
    signed_in,
)
from cxprogram.extensions import db
from cxprogram.metrics.models import Direction, Driver
from cxprogram.org import queries as org_queries
from cxprogram.org.models import Channel, Department, JourneyStage
from cxprogram.org.queries import department_or_404
from cxprogram.strategies import queries, services
from cxprogram.strategies.activity import render_detail
from cxprogram.strategies.blueprint import WRITERS, load_strategy, require_writable
from cxprogram.strategies.blueprint import bp as bp
from cxprogram.strategies.forms import CancelForm, StrategyForm, parse_percent, parse_version
from cxprogram.strategies.models import Strategy, StrategyStatus

METRIC_KEY = re.compile(r"^metric_(\d+)$")


def _filters() -> queries.StrategyFilter:
    args = request.args
    dept = org_queries.department_by_code(args.get("department", ""))
    status = args.get("status", "")
    driver = args.get("driver", "")
    return queries.StrategyFilter(
        department_id=dept.id if dept else None,
        status=StrategyStatus(status) if status in StrategyStatus._value2member_map_ else None,
        driver=Driver(driver) if driver in Driver._value2member_map_ else None,
        channel_id=inputs.int_arg("channel"),
    )


@bp.route("")
@signed_in
def list_strategies() -> str:
    """Strategies across the departments the user may read, filtered."""
    filters = _filters()
    rows = db.session.scalars(queries.strategies_query(filters, current_user)).all()
    departments = db.session.scalars(queries.departments_query(current_user)).all()
    # Officers get a button per department of theirs; a chief, for the one filtered on.
    editable = [
        d for d in departments if can_edit_department(current_user, d.id)
        and (current_user.role == Role.OFFICER or d.id == filters.department_id)
    ]  # fmt: skip
    return render_template(
        "strategies/list_strategies.html", strategies=rows, departments=departments,
        editable=editable, args=request.args,
        statuses=list(StrategyStatus), drivers=list(Driver),
        channels=org_queries.channels(every=True), today=date.today(), is_late=queries.is_late,
    )  # fmt: skip


@bp.route("/<int:strategy_id>")
@signed_in
def view_strategy(strategy_id: int) -> str:
    """A strategy with its milestones and its log of progress updates."""
    return render_detail(load_strategy(strategy_id))


@bp.route("/<int:strategy_id>/history")
@signed_in
def view_history(strategy_id: int) -> str:
    """Every audit event of the strategy, in plain words: who did what, when."""
    strategy = load_strategy(strategy_id)
    events = db.session.scalars(queries.history_query(strategy.id)).all()
    names, zone = audit_queries.names_for(events), audit_queries.organization_zone()
    entries = compute_entries(events, names, zone, on_strategy_page=True)
    return render_template("strategies/view_history.html", strategy=strategy, entries=entries)


def _form(dept: Department, strategy: Strategy | None) -> StrategyForm:
    form = StrategyForm()
    channels, stages = _vocabularies(strategy)
    form.touchpoints.choices = [
        SelectChoice(f"{c.id}-{s.id}", f"{c.name} at {s.name}") for c in channels for s in stages
    ]
    if strategy is not None and not form.is_submitted():
        form.process(data=_initial(strategy))
    return form


def _vocabularies(strategy: Strategy | None) -> tuple[list[Channel], list[JourneyStage]]:
    """The channels and stages offered: current ones, and the retired ones it already has."""
    touchpoints = strategy.touchpoints if strategy is not None else []
    return (
        org_queries.channels({t.channel_id for t in touchpoints}),
        org_queries.journey_stages({t.stage_id for t in touchpoints}),
    )


def _initial(s: Strategy) -> dict[str, object]:
    return {
        "title": s.title, "problem": s.problem, "description": s.description,
        "owner_name": s.owner_name, "status": s.status.value, "progress": str(s.progress),
        "start_date": s.start_date, "effective_date": s.effective_date, "end_date": s.end_date,
        "drivers": [d.driver.value for d in s.drivers],
        "touchpoints": [f"{t.channel_id}-{t.stage_id}" for t in s.touchpoints],
        "version": str(s.version),
    }  # fmt: skip


def metric_links(form: MultiDict[str, str]) -> tuple[tuple[int, Direction], ...]:
    """(metric id, expected direction) for every metric_<id> select set to a direction."""
    links = []
    for key, value in form.items():
        match = METRIC_KEY.match(key)
        metric_id = inputs.to_int(match.group(1)) if match else None
        if metric_id is not None and value in Direction._value2member_map_:
            links.append((metric_id, Direction(value)))
    return tuple(sorted(links))


def _data(form: StrategyForm) -> services.StrategyData:
    pairs = (v.split("-") for v in form.touchpoints.data or [])
    return services.StrategyData(
        title=form.title.data or "", problem=form.problem.data or "",
        description=form.description.data or "", owner_name=form.owner_name.data or "",
        status=StrategyStatus(form.status.data), progress=parse_percent(form.progress.data) or 0,
        start_date=form.start_date.data, effective_date=form.effective_date.data,
        end_date=form.end_date.data, drivers=tuple(Driver(d) for d in form.drivers.data or []),
        touchpoints=tuple((int(c), int(s)) for c, s in pairs),
        metric_links=metric_links(request.form),
    )  # fmt: skip


def _render_form(
    dept: Department,
    form: StrategyForm,
    strategy: Strategy | None,
    conflict: dict[str, object] | None = None,
    errors: list[str] | None = None,
) -> str:
    chosen = (
        dict(metric_links(request.form))
        if form.is_submitted()
        else {
            m.metric_id: m.expected_direction for m in (strategy.metric_links if strategy else [])
        }
    )
    channels, stages = _vocabularies(strategy)
    return render_template(
        "strategies/edit_strategy.html", department=dept, form=form, strategy=strategy,
        metrics=[(m, chosen.get(m.id)) for m in queries.linkable_metrics(dept.id)],
        channels=channels, stages=stages, chosen_touchpoints=set(form.touchpoints.data or []),
        conflict=conflict, errors=errors or [],
    )  # fmt: skip


def _show_invalid(
    dept: Department, form: StrategyForm, strategy: Strategy | None, error: services.StrategyInvalid
) -> str:
    db.session.rollback()
    for name, messages in error.errors.items():
        if name in form:
            form[name].errors = [*form[name].errors, *messages]
    return _render_form(dept, form, strategy, errors=error.errors.get("metrics", []))


@bp.route("/new/<code>", methods=["GET", "POST"])
@roles(*WRITERS)
def create_strategy(code: str) -> Response | str:
    """Add a strategy to a department the user edits."""
    dept = department_or_404(code)
    require_writable(dept)
    form = _form(dept, None)
    if not form.validate_on_submit():
        return _render_form(dept, form, None)
    try:
        strategy = services.create_strategy(dept, _data(form), current_user)
    except services.StrategyInvalid as error:
        return _show_invalid(dept, form, None, error)
    db.session.commit()
    flash(f"Added the strategy “{strategy.title}”.", "success")
    return redirect(url_for("strategies.view_strategy", strategy_id=strategy.id))


@bp.route("/<int:strategy_id>/edit", methods=["GET", "POST"])
@roles(*WRITERS)
def edit_strategy(strategy_id: int) -> Response | str | tuple[str, int]:
    """Edit a strategy, refusing a save based on a stale version (409)."""
    strategy = load_strategy(strategy_id)
    dept = strategy.department
    require_writable(dept, strategy)
    form = _form(dept, strategy)
    if not form.validate_on_submit():
        return _render_form(dept, form, strategy)
    try:
        version = parse_version(form.version.data)
        services.update_strategy(strategy, _data(form), version, current_user)
        db.session.commit()
    except services.StrategyInvalid as error:
        return _show_invalid(dept, form, strategy, error)
    except (services.EditConflict, StaleDataError):
        return _edit_conflict(dept, strategy_id, form)
    flash(f"Saved “{strategy.title}”.", "success")
    return redirect(url_for("strategies.view_strategy", strategy_id=strategy.id))


def _edit_conflict(dept: Department, strategy_id: int, form: StrategyForm) -> tuple[str, int]:
    """Show what the other person saved and keep what this person typed (409)."""
    db.session.rollback()
    current = db.session.get(Strategy, strategy_id)
    assert current is not None
    form.version.data = str(current.version)
    theirs = services.strategy_state(current)
    return _render_form(dept, form, current, conflict=theirs), 409


@bp.route("/<int:strategy_id>/cancel", methods=["GET", "POST"])
@roles(*WRITERS)
def cancel_strategy(strategy_id: int) -> Response | str | tuple[str, int]:
    """Cancel a strategy with a reason (it is never deleted)."""
    strategy = load_strategy(strategy_id)
    require_writable(strategy.department, strategy)
    form = CancelForm()
    if not form.is_submitted():
        form.version.data = str(strategy.version)
    if not form.validate_on_submit():
        return render_template("strategies/cancel_strategy.html", strategy=strategy, form=form)
    try:
        version = parse_version(form.version.data)
        services.cancel_strategy(strategy, form.reason.data or "", version, current_user)
        db.session.commit()
    except services.StrategyInvalid as error:
        form.reason.errors = [*form.reason.errors, *error.errors["reason"]]
        return render_template("strategies/cancel_strategy.html", strategy=strategy, form=form)
    except (services.EditConflict, StaleDataError):
        db.session.rollback()
        current = db.session.get(Strategy, strategy_id)
        form.version.data = str(current.version if current else 0)
        page = render_template(
            "strategies/cancel_strategy.html", strategy=current, form=form, conflict=True
        )
        return page, 409
    flash(f"Cancelled “{strategy.title}”.", "success")
    return redirect(url_for("strategies.view_strategy", strategy_id=strategy.id))
