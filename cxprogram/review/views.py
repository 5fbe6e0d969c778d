"""The department plan page for a period: its review state, the department's scores against
targets, its reds with their explanations, its strategies as they stood, the review history,
and the submit / approve / request-changes actions (reopening an approved plan takes a
confirmation page). The queue and the coverage matrix are in `queue` and `coverage`."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from cxprogram.auth.models import Role
from cxprogram.core.models import utcnow
from cxprogram.core.permissions import can_edit_department, require_edit, roles, signed_in
from cxprogram.extensions import db
from cxprogram.metrics.access import readable_department_period
from cxprogram.metrics.models import ReportingPeriod
from cxprogram.org.models import Department
from cxprogram.review import coverage as coverage  # its routes join the blueprint
from cxprogram.review import queries, services
from cxprogram.review import queue as queue  # its routes join the blueprint
from cxprogram.review.blueprint import bp as bp
from cxprogram.review.forms import DecisionForm, SubmitForm
from cxprogram.review.models import ReviewState

PLAN = "/departments/<code>/plan/<label>"


@bp.route("/departments/<code>/plan")
@signed_in
def view_current_plan(code: str) -> Response:
    """The department's plan for the current period."""
    period = queries.current_period()
    if period is None:
        abort(404)
    return redirect(url_for("review.view_plan", code=code.upper(), label=period.label))


@bp.route(PLAN)
@signed_in
def view_plan(code: str, label: str) -> str:
    """The plan's review state and comment, the evidence beside the decision, the actions."""
    dept, period = readable_department_period(code, label)
    return _render(dept, period)


def _render(
    dept: Department,
    period: ReportingPeriod,
    decision: DecisionForm | None = None,
    error: str | None = None,
    submit: SubmitForm | None = None,
) -> str:
    review = queries.plan_review(dept.id, period.id)
    state = review.state if review is not None else ReviewState.DRAFT
    can_act = not period.is_closed and can_edit_department(current_user, dept.id)
    events = db.session.scalars(queries.plan_events_query(dept.id, period.label)).all()
    return render_template(
        "review/view_plan.html", department=dept, period=period, review=review, state=state,
        error=error, lock_reason=queries.plan_lock_reason(dept, period),
        plan=queries.plan_strategies(dept, period, review, utcnow()),
        can_submit=can_act and state in services.ALLOWED_FROM["submit"],
        can_decide=can_act and current_user.role == Role.CHIEF
        and state in services.ALLOWED_FROM["approve"],
        reds=queries.unexplained_red_metrics(dept.id, period.id),
        scores=queries.department_scores(period.id, dept.id),
        explained=queries.reds_with_notes(period.id, dept.id), computed_at=utcnow(),
        names=queries.user_names({i for r in [review] if r for i in
                                  (r.submitted_by_id, r.decided_by_id) if i}),
        submit_form=submit or SubmitForm(formdata=None), cover_limit=services.COVER_NOTE_LIMIT,
        decision_form=decision or DecisionForm(formdata=None), events=events,
    )  # fmt: skip


def _refused(
    dept: Department,
    period: ReportingPeriod,
    message: str,
    decision: DecisionForm | None = None,
    submit: SubmitForm | None = None,
) -> tuple[str, int]:
    db.session.rollback()
    return _render(dept, period, decision=decision, error=message, submit=submit), 409


@bp.route(PLAN + "/reopen")
@roles(Role.CHIEF, Role.OFFICER)
def confirm_reopen(code: str, label: str) -> str:
    """Ask before an approved plan is submitted again (which reopens its review)."""
    dept, period = readable_department_period(code, label)
    require_edit(current_user, dept.id)
    return _confirmation(dept, period)


def _confirmation(
    dept: Department, period: ReportingPeriod, message: str | None = None, note: str = ""
) -> str:
    review = queries.plan_review(dept.id, period.id)
    form = SubmitForm(formdata=None)
    form.confirm_reopen.data = "yes"
    form.cover_note.data = note
    return render_template(
        "review/confirm_reopen.html", department=dept, period=period, review=review,
        form=form, message=message, cover_limit=services.COVER_NOTE_LIMIT,
        is_approved=review is not None and review.state == ReviewState.APPROVED,
    )  # fmt: skip


@bp.route(PLAN + "/submit", methods=["POST"])
@roles(Role.CHIEF, Role.OFFICER)
def submit_plan(code: str, label: str) -> Response | tuple[str, int]:
    """Submit the plan for the chief's review (officers of the department, or the chief)."""
    dept, period = readable_department_period(code, label)
    require_edit(current_user, dept.id)
    form = SubmitForm()
    if not form.validate_on_submit():
        abort(400)
    note = form.cover_note.data or ""
    try:
        services.submit_plan(
            dept, period, current_user, form.confirm_reopen.data == "yes", cover_note=note
        )
        db.session.commit()
    except services.NeedsConfirmation as error:
        db.session.rollback()
        return _confirmation(dept, period, str(error), note), 409
    except services.CoverNoteInvalid as error:
        db.session.rollback()
        form.cover_note.errors = [str(error)]
        return _render(dept, period, error=str(error), submit=form), 422
    except services.ReviewError as error:
        return _refused(dept, period, str(error), submit=form)
    except (StaleDataError, IntegrityError):
        message = "Someone else changed this plan's review just now."
        return _refused(dept, period, message, submit=form)
    flash(f"Submitted {dept.code}'s plan for {period.label} for review.", "success")
    return redirect(url_for("review.view_plan", code=dept.code, label=period.label))


@bp.route(PLAN + "/decide", methods=["POST"])
@roles(Role.CHIEF)
def decide_plan(code: str, label: str) -> Response | tuple[str, int]:
    """The chief approves the submitted plan or asks for changes, with a comment."""
    dept, period = readable_department_period(code, label)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _refused(dept, period, "Choose to approve or to ask for changes.", form)
    comment = form.comment.data or ""
    try:
        if form.decision.data == "approve":
            services.approve_plan(dept, period, current_user, comment)
        else:
            services.request_changes(dept, period, current_user, comment)
        db.session.commit()
    except services.ReviewError as error:
        return _refused(dept, period, str(error), form)
    except (StaleDataError, IntegrityError):
        return _refused(dept, period, "Someone else changed this plan's review just now.", form)
    verb = "Approved" if form.decision.data == "approve" else "Asked for changes to"
    flash(f"{verb} {dept.code}'s plan for {period.label}.", "success")
    return redirect(url_for("review.view_plan", code=dept.code, label=period.label))
