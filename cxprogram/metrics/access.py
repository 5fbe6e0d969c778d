"""Loading one department's page for one period: the department and the period named in the
URL, 404 when either does not exist, 403 when the user may not read the department (the
rule of `core.permissions`). The history and the plan pages share it."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from cxprogram.core.permissions import can_read_department
from cxprogram.metrics.models import ReportingPeriod
from cxprogram.metrics.queries import period_by_label
from cxprogram.org.models import Department
from cxprogram.org.queries import department_by_code


def readable_department_period(code: str, label: str) -> tuple[Department, ReportingPeriod]:
    """The department and period of the URL, or 404; 403 unless the user reads it."""
    dept = department_by_code(code)
    period = period_by_label(label)
    if dept is None or period is None:
        abort(404)
    if not can_read_department(current_user, dept.id):
        abort(403)
    return dept, period
