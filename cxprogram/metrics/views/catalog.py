"""The metric catalog: the chief edits standard metrics, officers their department's own."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from cxprogram.auth.models import Role, User
from cxprogram.core.permissions import can_edit_department, roles
from cxprogram.extensions import db
from cxprogram.metrics import services
from cxprogram.metrics.forms import MetricForm
from cxprogram.metrics.models import Frequency, MetricDefinition
from cxprogram.metrics.queries import metric_by_code
from cxprogram.metrics.views.blueprint import bp
from cxprogram.org.models import Department
from cxprogram.org.queries import active_departments

Page = tuple[str, int]


def can_edit_metric(user: User, metric: MetricDefinition) -> bool:
    """Chiefs edit every metric; officers only those owned by their departments."""
    if user.role == Role.CHIEF:
        return True
    owner = metric.owner_department_id
    return owner is not None and can_edit_department(user, owner)


def _owner_choices(user: User) -> list[SelectChoice]:
    departments = active_departments()
    mine = [
        SelectChoice(d.id, f"{d.code}: {d.name}")
        for d in departments
        if can_edit_department(user, d.id)
    ]
    return ([SelectChoice(0, "none: a standard metric")] if user.role == Role.CHIEF else []) + mine


def _data(form: MetricForm) -> dict[str, Any]:
    data = {name: getattr(form, name).data for name in services.METRIC_FIELDS}
    data["description"] = (data["description"] or "").strip()
    data["name"] = data["name"].strip()
    data["driver"] = data["driver"] or None
    data["n_counts"] = data["n_counts"] or ""
    data["frequency"] = Frequency(data["frequency"])
    return data


def _fill(form: MetricForm, metric: MetricDefinition) -> None:
    state = services.metric_state(metric)
    for name in services.METRIC_FIELDS:
        getattr(form, name).data = state[name]
    form.driver.data = state["driver"] or ""
    form.version.data = str(metric.version)


@bp.route("/metrics/new", methods=["GET", "POST"])
@roles(Role.CHIEF, Role.OFFICER)
def create_metric() -> Response | Page:
    """Add a metric: the chief a standard one or any department's, an officer their own."""
    form = MetricForm()
    form.owner.choices = _owner_choices(current_user)
    if not form.owner.choices:
        abort(403)
    if not form.validate_on_submit():
        return render_template("metrics/edit_metric.html", form=form, metric=None), 200
    code = form.code.data.strip()
    if metric_by_code(code) is not None:
        form.code.errors = [f"A metric with the code {code} already exists."]
        return render_template("metrics/edit_metric.html", form=form, metric=None), 422
    owner = db.session.get(Department, form.owner.data) if form.owner.data else None
    services.create_metric(code, owner, _data(form), current_user)
    db.session.commit()
    flash(f"Added the metric {code}.", "success")
    return redirect(url_for("main.metrics"))


@bp.route("/metrics/<code>/edit", methods=["GET", "POST"])
@roles(Role.CHIEF, Role.OFFICER)
def edit_metric(code: str) -> Response | Page:
    """Change a metric's definition, with optimistic locking (409 on a stale save)."""
    metric = metric_by_code(code)
    if metric is None:
        abort(404)
    if not can_edit_metric(current_user, metric):
        abort(403)
    form = MetricForm()
    form.owner.choices = [SelectChoice(metric.owner_department_id or 0, "")]
    form.code.data, form.owner.data = metric.code, metric.owner_department_id or 0
    if not form.is_submitted():
        _fill(form, metric)
    if not form.validate_on_submit():
        return render_template("metrics/edit_metric.html", form=form, metric=metric), 200
    try:
        services.update_metric(metric, _data(form), int(form.version.data or 0), current_user)
        db.session.commit()
    except (services.MetricConflict, StaleDataError):
        db.session.rollback()
        return _conflict(code, form)
    except services.FrequencyRefused as refused:
        db.session.rollback()
        form.frequency.errors = [str(refused)]
        return render_template("metrics/edit_metric.html", form=form, metric=metric), 422
    flash(f"Saved the metric {metric.code}.", "success")
    return redirect(url_for("main.metrics"))


def _conflict(code: str, form: MetricForm) -> Page:
    current = metric_by_code(code)
    assert current is not None
    form.version.data = str(current.version)
    page = render_template(
        "metrics/edit_metric.html", form=form, metric=current,
        conflict=services.metric_state(current),
    )  # fmt: skip
    return page, 409
