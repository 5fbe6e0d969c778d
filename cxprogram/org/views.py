"""Department pages: a department's profile and its services."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from cxprogram.core import inputs
from cxprogram.core.permissions import (
    can_edit_department,
    can_read_department,
    require_edit,
    signed_in,
)
from cxprogram.extensions import db
from cxprogram.org import queries, services
from cxprogram.org.forms import ServiceForm, fill_touchpoints
from cxprogram.org.models import Department, Service
from cxprogram.org.queries import department_or_404

bp = Blueprint("org", __name__, url_prefix="/departments")


@bp.route("/<code>")
@signed_in
def view_department(code: str) -> str:
    """A department's services and officers."""
    dept = department_or_404(code)
    if not can_read_department(current_user, dept.id):
        abort(403)
    officers = queries.officers_of(dept)
    return render_template(
        "org/view_department.html",
        department=dept,
        officers=officers,
        can_edit=can_edit_department(current_user, dept.id),
    )


@bp.route("/<code>/services/<int:service_id>/edit", methods=["GET", "POST"])
@signed_in
def edit_service(code: str, service_id: int) -> Response | str | tuple[str, int]:
    """Officers keep their department's service descriptions, channels and stages current."""
    dept = department_or_404(code)
    require_edit(current_user, dept.id)
    service = db.session.get(Service, service_id)
    if service is None or service.department_id != dept.id:
        abort(404)
    form = _service_form(service)
    if not form.validate_on_submit():
        return render_template("org/edit_service.html", department=dept, service=service, form=form)
    change = services.ServiceChange(
        form.description.data or "",
        form.channels.data,
        form.journey_stages.data,
        inputs.version(form.version.data),
    )
    try:
        services.update_service(service, change, current_user)
        db.session.commit()
    except services.RetiredTermError as error:
        db.session.rollback()
        form[error.field].errors = [error.message]
        current = db.session.get(Service, service_id)
        page = render_template("org/edit_service.html", department=dept, service=current,
                               form=form)  # fmt: skip
        return page, 422
    except (services.EditConflict, StaleDataError):
        db.session.rollback()
        return _conflict(dept, service_id, form)
    flash(f"Saved {service.name}.", "success")
    return redirect(url_for("org.view_department", code=dept.code))


def _service_form(service: Service) -> ServiceForm:
    form = ServiceForm(obj=None)
    if not form.is_submitted():
        form.description.data = service.description
    fill_touchpoints(form, service, load=not form.is_submitted())
    return form


def _conflict(dept: Department, service_id: int, form: ServiceForm) -> tuple[str, int]:
    """Show what the other person saved and keep what this person typed (409)."""
    current = db.session.get(Service, service_id)
    assert current is not None
    theirs = services.service_state(current)
    form.version.data = str(current.version)
    return (
        render_template(
            "org/edit_service.html", department=dept, service=current, form=form, conflict=theirs
        ),
        409,
    )
