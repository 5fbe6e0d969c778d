"""The reporting periods: their dates and state; the chief closes and reopens them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from cxprogram.auth.models import Role, User
from cxprogram.core.locks import job_lock
from cxprogram.core.permissions import roles, signed_in
from cxprogram.extensions import db
from cxprogram.metrics import services
from cxprogram.metrics.forms import ClosePeriodForm, ReopenPeriodForm
from cxprogram.metrics.models import ReportingPeriod
from cxprogram.metrics.periods import period_due_date
from cxprogram.metrics.queries import periods_query
from cxprogram.metrics.views.blueprint import bp, load_period
from cxprogram.org.queries import organization_settings
from cxprogram.rollup.services import ROLLUP_LOCK, run_rollup


def _render(errors: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    org = organization_settings()
    periods = db.session.scalars(periods_query()).all()
    due = {p.label: period_due_date(p.label, org) for p in periods}
    page = render_template(
        "metrics/list_periods.html", periods=periods, due=due, errors=errors or {},
        close_form=ClosePeriodForm(), reopen_form=ReopenPeriodForm(),
        is_chief=current_user.role == Role.CHIEF,
        mine=[d for d in current_user.departments if d.is_active]
        if current_user.role == Role.OFFICER else [],
    )  # fmt: skip
    return page, status


@bp.route("/periods")
@signed_in
def list_periods() -> tuple[str, int]:
    """Every reporting period with its dates, due date and state."""
    return _render()


@bp.route("/periods/<label>/close", methods=["POST"])
@roles(Role.CHIEF)
def close_period(label: str) -> Response | tuple[str, int]:
    """Close (lock) a period: no one changes its values or plans until it is reopened."""
    return _change_state(
        load_period(label), ClosePeriodForm(), _close_and_finalize, 400,
        done="is closed: its values and plans are locked, and its final rollup is computed.",
        already="was already closed.",
    )  # fmt: skip


def _close_and_finalize(period: ReportingPeriod, actor: User, reason: str) -> bool:
    """Close the period and compute its final snapshot in the same transaction, so a closed
    period never waits for the scheduler's quarter-close job to be final."""
    if not services.close_period(period, actor, reason):
        return False
    with job_lock(ROLLUP_LOCK):
        run_rollup(period, datetime.now(UTC))
    return True


@bp.route("/periods/<label>/reopen", methods=["POST"])
@roles(Role.CHIEF)
def reopen_period(label: str) -> Response | tuple[str, int]:
    """Reopen a closed period; the reason is required and audited."""
    return _change_state(
        load_period(label), ReopenPeriodForm(), services.reopen_period, 422,
        done="is open again.", already="was already open.",
    )  # fmt: skip


def _change_state(
    period: ReportingPeriod,
    form: ClosePeriodForm | ReopenPeriodForm,
    change: Callable[[ReportingPeriod, User, str], bool],
    refused: int,
    *,
    done: str,
    already: str,
) -> Response | tuple[str, int]:
    """Close or reopen with the form's reason; flash whether anything changed."""
    if not form.validate_on_submit():
        return _render({period.label: "; ".join(form.reason.errors) or "Try again."}, refused)
    if change(period, current_user, form.reason.data or ""):
        db.session.commit()
        flash(f"{period.label} {done}", "success")
    else:
        flash(f"{period.label} {already}", "info")
    return redirect(url_for("metrics.list_periods"))
