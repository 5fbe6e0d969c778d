"""Department administration: list, create, edit, deactivate and reactivate (admins only).

Only administrators manage the structure (SPEC section 2: "admin: users, departments");
the chief edits department data through the department pages, not the structure.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from cxprogram.admin import calc, queries, services
from cxprogram.admin.blueprint import bp
from cxprogram.admin.forms import DepartmentForm, StatusForm
from cxprogram.auth.models import Role
from cxprogram.core import inputs
from cxprogram.core.permissions import roles
from cxprogram.extensions import db
from cxprogram.org.models import Department, Service
from cxprogram.org.queries import department_by_code


def load_department(code: str) -> Department:
    """The department with this code, or 404."""
    dept = department_by_code(calc.normalise_code(code))
    if dept is None:
        abort(404)
    return dept


def load_service(code: str, service_id: int) -> tuple[Department, Service]:
    """The department with this code and its service with this id, or 404."""
    dept = load_department(code)
    service = db.session.get(Service, service_id)
    if service is None or service.department_id != dept.id:
        abort(404)
    return dept, service


@bp.route("/departments")
@roles(Role.ADMIN)
def list_departments() -> str:
    """Departments with their status, filtered: active (default), inactive or all."""
    status = request.args.get("status", "active")
    if status not in queries.STATUSES:
        status = "active"
    rows = db.session.scalars(queries.departments_admin_query(status)).all()
    return render_template("admin/list_departments.html", departments=rows, status=status)


@bp.route("/departments/new", methods=["GET", "POST"])
@roles(Role.ADMIN)
def new_department() -> Response | str | tuple[str, int]:
    """Create a department."""
    form = _department_form(None)
    if not form.validate_on_submit():
        return render_template("admin/edit_department.html", form=form, department=None)
    try:
        dept = services.create_department(_department_data(form), current_user)
        db.session.commit()
    except services.StructureError as error:
        db.session.rollback()
        form[error.field].errors = [error.message]
        return render_template("admin/edit_department.html", form=form, department=None), 422
    flash(f"Created {dept.code}, {dept.name}.", "success")
    return redirect(url_for("admin.edit_department", code=dept.code))


@bp.route("/departments/<code>/edit", methods=["GET", "POST"])
@roles(Role.ADMIN)
def edit_department(code: str) -> Response | str | tuple[str, int]:
    """Edit a department's code, name and parent; see its services and its status."""
    dept = load_department(code)
    form = _department_form(dept)
    if not form.validate_on_submit():
        return _department_page(dept, form)
    try:
        services.update_department(dept, _department_data(form), _version(form), current_user)
        db.session.commit()
    except services.StructureError as error:
        db.session.rollback()
        form[error.field].errors = [error.message]
        return _department_page(load_department(code), form, 422)
    except (services.EditConflict, StaleDataError):
        db.session.rollback()
        return _department_conflict(dept.id, form)
    flash(f"Saved {dept.code}, {dept.name}.", "success")
    return redirect(url_for("admin.edit_department", code=dept.code))


@bp.route("/departments/<code>/deactivate", methods=["POST"])
@roles(Role.ADMIN)
def deactivate_department(code: str) -> Response | tuple[str, int]:
    """Mark a department inactive: its history and pages stay, current rollups skip it."""
    return _set_status(code, active=False)


@bp.route("/departments/<code>/reactivate", methods=["POST"])
@roles(Role.ADMIN)
def reactivate_department(code: str) -> Response | tuple[str, int]:
    """Make an inactive department active again."""
    return _set_status(code, active=True)


def _set_status(code: str, *, active: bool) -> Response | tuple[str, int]:
    dept = load_department(code)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.set_department_active(dept, active, _version(form), current_user)
        db.session.commit()
    except (services.EditConflict, StaleDataError):
        db.session.rollback()
        return _department_conflict(dept.id, _department_form(load_department(code), fresh=True))
    state = "active again" if active else "inactive; its history is kept"
    flash(f"{dept.code} is {state}.", "success")
    return redirect(url_for("admin.edit_department", code=dept.code))


def _department_form(dept: Department | None, *, fresh: bool = False) -> DepartmentForm:
    form = DepartmentForm(formdata=None) if fresh else DepartmentForm()
    form.original_code = dept.code if dept is not None else None
    if dept is not None and (fresh or not form.is_submitted()):
        form.code.data, form.name.data = dept.code, dept.name
        form.short_name.data = dept.short_name or ""
        form.parent.data = str(dept.parent_id) if dept.parent_id else ""
        form.version.data = str(dept.version)
    form.parent.choices = [SelectChoice("", "None (top level)"), *_parent_choices(dept)]
    return form


def _parent_choices(dept: Department | None) -> list[SelectChoice]:
    """Every department except this one and those below it (they would make a cycle)."""
    excluded: set[str] = set()
    if dept is not None:
        excluded = {dept.code} | calc.descendants(dept.code, queries.parent_map())
    rows = db.session.scalars(queries.departments_admin_query("all"))
    return [
        SelectChoice(str(d.id), f"{d.code}: {d.name}{'' if d.is_active else ' (inactive)'}")
        for d in rows
        if d.code not in excluded
    ]


def _department_data(form: DepartmentForm) -> services.DepartmentData:
    parent = form.parent.data or ""
    return services.DepartmentData(
        form.code.data or "", form.name.data or "", inputs.to_int(parent), form.short_name.data
    )


def _version(form: Any) -> int:
    return inputs.version(form.version.data)


def _department_page(
    dept: Department, form: DepartmentForm, status: int = 200, **extra: Any
) -> tuple[str, int]:
    page = render_template(
        "admin/edit_department.html",
        form=form,
        department=dept,
        status_form=StatusForm(formdata=None, version=str(dept.version)),
        observation_count=queries.observation_count(dept.id),
        **extra,
    )
    return page, status


def _department_conflict(dept_id: int, form: DepartmentForm) -> tuple[str, int]:
    """Show what the other person saved and keep what this person typed (409)."""
    current = db.session.get(Department, dept_id)
    if current is None:
        abort(404)
    form.version.data = str(current.version)
    return _department_page(current, form, 409, conflict=services.department_state(current))
