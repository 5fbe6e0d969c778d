"""Administration: organization settings (admin; the chief for the calendar fields).

The department and service pages of the same blueprint live in `department_views` and
`service_views`; importing them here registers their routes with the blueprint.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from cxprogram.admin import (  # noqa: F401  - their routes join bp
    department_views,
    queries,
    service_views,
    services,
    standard_views,
    vocabulary_views,
)
from cxprogram.admin.blueprint import bp as bp
from cxprogram.admin.forms import SettingsForm
from cxprogram.auth.models import Role
from cxprogram.core.permissions import roles
from cxprogram.extensions import db
from cxprogram.org import services as org_services
from cxprogram.org.models import OrgSettings


def editable_settings_fields() -> tuple[str, ...]:
    """Admins edit every setting; the chief edits the reporting calendar only (SPEC 2)."""
    if current_user.role == Role.ADMIN:
        return services.SETTINGS_FIELDS
    return services.CALENDAR_FIELDS


@bp.route("/organization", methods=["GET", "POST"])
@roles(Role.ADMIN, Role.CHIEF)
def edit_settings() -> Response | str | tuple[str, int]:
    """The organization's name, reporting calendar, time zone and e-mail sender."""
    org = org_services.ensure_settings()
    form = _settings_form(org)
    if not form.validate_on_submit():
        return _settings_page(org, form)
    values = {name: form[name].data for name in editable_settings_fields()}
    try:
        relabelled = services.update_settings(org, values, int(form.version.data), current_user)
        db.session.commit()
    except services.CalendarChangeRefused as refusal:
        db.session.rollback()
        form.fiscal_year_start_month.errors = [str(refusal)]
        return _settings_page(org_services.ensure_settings(), form, 422)
    except (services.EditConflict, StaleDataError):
        db.session.rollback()
        current = org_services.ensure_settings()
        form.version.data = str(current.version)
        return _settings_page(current, form, 409, conflict=services.settings_state(current))
    flash(_saved_message(relabelled), "success")
    return redirect(url_for("admin.edit_settings"))


def _settings_form(org: OrgSettings) -> SettingsForm:
    form = SettingsForm()
    if not form.is_submitted():
        for name in services.SETTINGS_FIELDS:
            form[name].data = getattr(org, name)
        form.version.data = str(org.version)
    for name in services.SETTINGS_FIELDS:
        if name not in editable_settings_fields():
            delattr(form, name)
    return form


def _settings_page(
    org: OrgSettings, form: SettingsForm, status: int = 200, **extra: Any
) -> tuple[str, int]:
    page = render_template(
        "admin/edit_settings.html",
        org=org,
        form=form,
        editable=editable_settings_fields(),
        data=queries.period_data(),
        **extra,
    )
    return page, status


def _saved_message(relabelled: list[dict[str, Any]]) -> str:
    if not relabelled:
        return "Saved the organization settings."
    pairs = ", ".join(f"{r['from']} is now {r['to']}" for r in relabelled[:8])
    more = f" and {len(relabelled) - 8} more" if len(relabelled) > 8 else ""
    return (
        f"Saved the organization settings. {len(relabelled)} empty reporting periods "
        f"follow the new fiscal year: {pairs}{more}."
    )
