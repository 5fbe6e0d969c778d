"""Service standards under their service (SPEC 3): list, create, edit, retire, reinstate.

Administrators keep the organization's structure, so these pages are theirs, like the
service pages; the writes are admin/standards.py's.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from cxprogram.admin import standards
from cxprogram.admin.blueprint import bp
from cxprogram.admin.department_views import load_service
from cxprogram.admin.forms import StandardForm, StatusForm
from cxprogram.auth.models import Role
from cxprogram.core import inputs
from cxprogram.core.permissions import roles
from cxprogram.extensions import db
from cxprogram.metrics.calc import parse_number
from cxprogram.metrics.catalog import WITHIN_STANDARD
from cxprogram.org.models import Channel, Department, Service, ServiceStandard

BASE = "/departments/<code>/services/<int:service_id>/standards"


@bp.route(BASE)
@roles(Role.ADMIN)
def list_standards(code: str, service_id: int) -> str:
    """A service's standards, in force and retired."""
    dept, service = load_service(code, service_id)
    query = (
        select(ServiceStandard)
        .where(ServiceStandard.service_id == service.id)
        .order_by(ServiceStandard.is_retired, ServiceStandard.code)
    )
    found = list(db.session.scalars(query))
    return render_template("admin/list_standards.html", department=dept, service=service,
                           standards=found)  # fmt: skip


@bp.route(f"{BASE}/new", methods=["GET", "POST"])
@roles(Role.ADMIN)
def new_standard(code: str, service_id: int) -> Response | str | tuple[str, int]:
    """Add a standard to a service."""
    dept, service = load_service(code, service_id)
    form = _form(service, None)
    if not form.validate_on_submit():
        return _page(dept, service, None, form)
    try:
        standard = standards.create_standard(service, _data(form), current_user)
        db.session.commit()
    except standards.StandardError as error:
        db.session.rollback()
        return _refused(code, service_id, None, form, error)
    flash(f"Added the standard {standard.code} to {service.name}.", "success")
    return redirect(url_for("admin.list_standards", code=dept.code, service_id=service.id))


@bp.route(f"{BASE}/<int:standard_id>/edit", methods=["GET", "POST"])
@roles(Role.ADMIN)
def edit_standard(code: str, service_id: int, standard_id: int) -> Response | str | tuple[str, int]:
    """Edit a standard's code, text, metric, target and channel."""
    dept, service, standard = _load_standard(code, service_id, standard_id)
    form = _form(service, standard)
    if not form.validate_on_submit():
        return _page(dept, service, standard, form)
    try:
        standards.update_standard(
            standard, _data(form), inputs.version(form.version.data), current_user
        )
        db.session.commit()
    except standards.StandardError as error:
        db.session.rollback()
        return _refused(code, service_id, standard_id, form, error)
    except (standards.EditConflict, StaleDataError):
        db.session.rollback()
        return _conflict(code, service_id, standard_id, form)
    flash(f"Saved the standard {standard.code}.", "success")
    return redirect(url_for("admin.list_standards", code=dept.code, service_id=service.id))


@bp.route(f"{BASE}/<int:standard_id>/retire", methods=["POST"])
@roles(Role.ADMIN)
def retire_standard(code: str, service_id: int, standard_id: int) -> Response | tuple[str, int]:
    """Retire a standard (never deleted: its observations keep it)."""
    return _set_retired(code, service_id, standard_id, retired=True)


@bp.route(f"{BASE}/<int:standard_id>/reinstate", methods=["POST"])
@roles(Role.ADMIN)
def reinstate_standard(code: str, service_id: int, standard_id: int) -> Response | tuple[str, int]:
    """Put a retired standard back in force."""
    return _set_retired(code, service_id, standard_id, retired=False)


def _set_retired(
    code: str, service_id: int, standard_id: int, *, retired: bool
) -> Response | tuple[str, int]:
    dept, service, standard = _load_standard(code, service_id, standard_id)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        standards.set_standard_retired(
            standard, retired, inputs.version(form.version.data), current_user
        )
        db.session.commit()
    except (standards.EditConflict, StaleDataError):
        db.session.rollback()
        fresh = _form(service, _load_standard(code, service_id, standard_id)[2], fresh=True)
        return _conflict(code, service_id, standard_id, fresh)
    flash(f"The standard {standard.code} is {'retired' if retired else 'in force'}.", "success")
    return redirect(url_for("admin.list_standards", code=dept.code, service_id=service.id))


def _load_standard(
    code: str, service_id: int, standard_id: int
) -> tuple[Department, Service, ServiceStandard]:
    dept, service = load_service(code, service_id)
    standard = db.session.get(ServiceStandard, standard_id)
    if standard is None or standard.service_id != service.id:
        abort(404)
    return dept, service, standard


def _form(service: Service, standard: ServiceStandard | None, *, fresh: bool = False) -> Any:
    form = StandardForm(formdata=None) if fresh else StandardForm()
    metrics = sorted(
        (m for m in standards.promise_metrics().values()
         if m.owner_department_id in (None, service.department_id)),
        key=lambda m: m.name,
    )  # fmt: skip
    form.metric.choices = [("", "Choose a metric")] + [(m.code, m.name) for m in metrics]
    channels = service.channels or list(db.session.scalars(select(Channel).order_by(Channel.id)))
    form.channel.choices = [(0, "Every channel")] + [(c.id, c.name) for c in channels]
    if standard is not None and (fresh or not form.is_submitted()):
        form.code.data, form.text.data = standard.code, standard.text
        form.metric.data, form.target.data = standard.metric.code, f"{standard.target:g}"
        form.channel.data = standard.channel_id or 0
        form.version.data = str(standard.version)
    elif standard is None and not form.is_submitted():
        form.metric.data = WITHIN_STANDARD.code  # the metric most standards promise on
    return form


def _data(form: Any) -> standards.StandardData:
    try:
        target = parse_number(form.target.data or "")
    except ValueError:
        raise standards.StandardError("target", f"'{form.target.data}' is not a number") from None
    return standards.StandardData(
        form.code.data or "", form.text.data or "", form.metric.data or "", target,
        form.channel.data or None,
    )  # fmt: skip


def _page(
    dept: Department, service: Service, standard: ServiceStandard | None, form: Any,
    status: int = 200, **extra: Any,
) -> tuple[str, int]:  # fmt: skip
    status_form = StatusForm(formdata=None, version=str(standard.version)) if standard else None
    page = render_template("admin/edit_standard.html", department=dept, service=service,
                           standard=standard, form=form, status_form=status_form,
                           code_rule=standards.CODE_RULE, **extra)  # fmt: skip
    return page, status


def _refused(
    code: str, service_id: int, standard_id: int | None, form: Any,
    error: standards.StandardError,
) -> tuple[str, int]:  # fmt: skip
    """The page again with the refusal on its field (422)."""
    dept, service = load_service(code, service_id)
    standard = _load_standard(code, service_id, standard_id)[2] if standard_id else None
    form[error.field].errors = [error.message]
    return _page(dept, service, standard, form, 422)


def _conflict(code: str, service_id: int, standard_id: int, form: Any) -> tuple[str, int]:
    """Show what the other person saved and keep what this person typed (409)."""
    dept, service, current = _load_standard(code, service_id, standard_id)
    form.version.data = str(current.version)
    return _page(dept, service, current, form, 409, conflict=standards.standard_state(current))
