"""Service administration: create, edit, deactivate and reactivate a department's services."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from cxprogram.admin import services
from cxprogram.admin.blueprint import bp
from cxprogram.admin.department_views import load_department, load_service
from cxprogram.admin.forms import AdminServiceForm, StatusForm
from cxprogram.auth.models import Role
from cxprogram.core import inputs
from cxprogram.core.permissions import roles
from cxprogram.extensions import db
from cxprogram.org.forms import fill_touchpoints
from cxprogram.org.models import Department, Service
from cxprogram.org.services import service_state


@bp.route("/departments/<code>/services/new", methods=["GET", "POST"])
@roles(Role.ADMIN)
def new_service(code: str) -> Response | str | tuple[str, int]:
    """Add a service to a department."""
    dept = load_department(code)
    form = _service_form(None)
    if not form.validate_on_submit():
        return _service_page(dept, None, form)
    try:
        service = services.create_service(dept, _service_data(form), current_user)
        db.session.commit()
    except services.StructureError as error:
        db.session.rollback()
        form[error.field].errors = [error.message]
        return _service_page(load_department(code), None, form, 422)
    flash(f"Added {service.name} to {dept.code}.", "success")
    return redirect(url_for("admin.edit_department", code=dept.code))


@bp.route("/departments/<code>/services/<int:service_id>/edit", methods=["GET", "POST"])
@roles(Role.ADMIN)
def edit_service(code: str, service_id: int) -> Response | str | tuple[str, int]:
    """Edit a service's name, description, channels and journey stages."""
    dept, service = load_service(code, service_id)
    form = _service_form(service)
    if not form.validate_on_submit():
        return _service_page(dept, service, form)
    version = inputs.version(form.version.data)
    try:
        services.update_service(service, _service_data(form), version, current_user)
        db.session.commit()
    except services.StructureError as error:
        db.session.rollback()
        form[error.field].errors = [error.message]
        return _service_page(*load_service(code, service_id), form, 422)
    except (services.EditConflict, StaleDataError):
        db.session.rollback()
        return _conflict(code, service_id, form)
    flash(f"Saved {service.name}.", "success")
    return redirect(url_for("admin.edit_department", code=dept.code))


@bp.route("/departments/<code>/services/<int:service_id>/deactivate", methods=["POST"])
@roles(Role.ADMIN)
def deactivate_service(code: str, service_id: int) -> Response | tuple[str, int]:
    """Mark a service inactive (its observations are kept)."""
    return _set_status(code, service_id, active=False)


@bp.route("/departments/<code>/services/<int:service_id>/reactivate", methods=["POST"])
@roles(Role.ADMIN)
def reactivate_service(code: str, service_id: int) -> Response | tuple[str, int]:
    """Make an inactive service active again."""
    return _set_status(code, service_id, active=True)


def _set_status(code: str, service_id: int, *, active: bool) -> Response | tuple[str, int]:
    dept, service = load_service(code, service_id)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    version = inputs.version(form.version.data)
    try:
        services.set_service_active(service, active, version, current_user)
        db.session.commit()
    except (services.EditConflict, StaleDataError):
        db.session.rollback()
        return _conflict(
            code, service_id, _service_form(load_service(code, service_id)[1], fresh=True)
        )
    flash(f"{service.name} is {'active again' if active else 'inactive'}.", "success")
    return redirect(url_for("admin.edit_department", code=dept.code))


def _service_form(service: Service | None, *, fresh: bool = False) -> AdminServiceForm:
    form = AdminServiceForm(formdata=None) if fresh else AdminServiceForm()
    load = fresh or not form.is_submitted()
    if service is not None and load:
        form.name.data, form.description.data = service.name, service.description
    fill_touchpoints(form, service, load=load)
    return form


def _service_data(form: AdminServiceForm) -> services.ServiceData:
    return services.ServiceData(
        form.name.data or "",
        form.description.data or "",
        list(form.channels.data or []),
        list(form.journey_stages.data or []),
    )


def _service_page(
    dept: Department, service: Service | None, form: AdminServiceForm, status: int = 200,
    **extra: Any,
) -> tuple[str, int]:  # fmt: skip
    status_form = StatusForm(formdata=None, version=str(service.version)) if service else None
    page = render_template("admin/edit_service.html", department=dept, service=service,
                           form=form, status_form=status_form, **extra)  # fmt: skip
    return page, status


def _conflict(code: str, service_id: int, form: AdminServiceForm) -> tuple[str, int]:
    """Show what the other person saved and keep what this person typed (409)."""
    dept, current = load_service(code, service_id)
    form.version.data = str(current.version)
    theirs = {**service_state(current), "is_active": current.is_active}
    return _service_page(dept, current, form, 409, conflict=theirs)
