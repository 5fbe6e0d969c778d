"""Home pages for each role, and the read-only lists everyone may browse."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, render_template
from flask_login import current_user
from sqlalchemy import Select
from werkzeug.wrappers import Response

from cxprogram.auth.models import Role
from cxprogram.core.permissions import limit_to_readable, roles, signed_in
from cxprogram.dashboard.views import render_dashboard
from cxprogram.extensions import db
from cxprogram.main import queries
from cxprogram.metrics.periods import reporting_window
from cxprogram.metrics.views.catalog import can_edit_metric
from cxprogram.org.models import Department
from cxprogram.org.queries import active_departments_query
from cxprogram.review.progress import department_progress
from cxprogram.review.queries import plan_review, user_names

bp = Blueprint("main", __name__)


@bp.route("/")
@signed_in
def home() -> Response | str:
    """A home page that fits the signed-in role: chiefs and viewers land on the dashboard."""
    if current_user.role in (Role.CHIEF, Role.VIEWER):
        return render_dashboard()
    today = date.today()
    window = reporting_window(today)
    if current_user.role == Role.ADMIN:
        return render_template("main/home_admin.html", window=window, **_admin_counts())
    if current_user.role == Role.OFFICER:
        own = [d for d in current_user.departments if d.is_active]
        progress = department_progress(window, own, today)
        details = {d.id: queries.department_detail(window, d, today) for d in own}
        reviews = {d.id: plan_review(d.id, window.period_id) for d in own if window.period_id}
        deciders = user_names({r.decided_by_id for r in reviews.values() if r and r.decided_by_id})
        return render_template(
            "main/home_officer.html", window=window, progress=progress, details=details,
            links=_links(), reviews=reviews, deciders=deciders,
        )  # fmt: skip
    abort(403)


@bp.route("/tracker")
@roles(Role.CHIEF, Role.VIEWER)
def view_tracker() -> str:
    """The completion tracker: who has reported for the period, who is late."""
    today = date.today()
    window = reporting_window(today)
    departments = list(db.session.scalars(_readable_departments()))
    progress = department_progress(window, departments, today)
    template = (
        "main/home_chief.html" if current_user.role == Role.CHIEF else "main/home_viewer.html"
    )
    return render_template(template, window=window, progress=progress, links=_links())


def _readable_departments() -> Select[tuple[Department]]:
    """The active departments the signed-in user reads, by code."""
    return limit_to_readable(active_departments_query(), Department.id, current_user)


def _links() -> dict[str, bool]:
    """Which optional pages exist, so the home pages link to them only when they do."""
    views = current_app.view_functions
    return {
        "plan": "review.view_plan" in views,
        "strategy": "strategies.view_strategy" in views,
        "history": "audit.view_history" in views,
    }


def _admin_counts() -> dict[str, object]:
    by_role = queries.users_by_role()
    return {
        "users_by_role": {r.value: by_role.get(r, 0) for r in Role},
        "department_count": queries.department_count(),
    }


@bp.route("/departments")
@signed_in
def departments() -> str:
    """Departments this user may see, with their services."""
    rows = db.session.scalars(_readable_departments()).all()
    return render_template("main/list_departments.html", departments=rows)


@bp.route("/metrics")
@signed_in
def metrics() -> str:
    """The metric catalog (read-only here)."""
    return render_template(
        "main/list_metrics.html",
        metrics=db.session.scalars(queries.metrics_query()).all(),
        can_add=current_user.role in (Role.CHIEF, Role.OFFICER),
        can_edit=lambda metric: can_edit_metric(current_user, metric),
    )
