"""Writes of the administration pages: settings, departments, services. Flush, never commit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select

from cxprogram.admin import calc, queries
from cxprogram.auth.models import User
from cxprogram.core import audit
from cxprogram.core.fiscal import quarter_of
from cxprogram.extensions import db
from cxprogram.metrics.models import ReportingPeriod
from cxprogram.org.models import Channel, Department, JourneyStage, OrgSettings, Service
from cxprogram.org.queries import department_by_code
from cxprogram.org.services import EditConflict, RetiredTermError, service_state, set_links
from cxprogram.rollup.models import RollupPeriodAggregates, RollupSnapshot

SETTINGS_FIELDS = (
    "name",
    "fiscal_year_start_month",
    "due_days",
    "grace_days",
    "reminder_days_before",
    "time_zone",
    "smtp_sender_name",
    "is_government",
    "government_name",
)
CALENDAR_FIELDS = ("fiscal_year_start_month", "due_days", "grace_days")

__all__ = ["EditConflict", "StructureError", "CalendarChangeRefused"]


class StructureError(ValueError):
    """A change the organization's structure rules refuse; names the field and the reason."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class CalendarChangeRefused(Exception):
    """The fiscal-year start cannot change: reporting periods already hold data."""

    def __init__(self, data: queries.PeriodData) -> None:
        self.data = data
        super().__init__(calendar_refusal(data))


def calendar_refusal(data: queries.PeriodData) -> str:
    """The explanation shown when the fiscal-year start may not change."""
    held = [f"{data.observations:,} observations"]
    if data.closed_periods:
        held.append(f"{data.closed_periods} closed periods")
    if data.reviews:
        held.append(f"{data.reviews} plan reviews")
    if data.reports:
        held.append(f"{data.reports} quarterly reports")
    return (
        f"The fiscal-year start cannot change: {data.periods_with_data} reporting periods "
        f"already hold data ({', '.join(held)}). Their labels (such as FY2024-Q1) name the "
        "dates that data was reported for, so relabelling them would misdate it."
    )


def settings_state(org: OrgSettings) -> dict[str, Any]:
    """The settings as plain data, for audit events and conflict pages."""
    return {name: getattr(org, name) for name in SETTINGS_FIELDS}


def update_settings(
    org: OrgSettings, values: dict[str, Any], version: int, actor: User
) -> list[dict[str, Any]]:
    """Apply the fields given; a new fiscal-year start relabels empty periods or is refused.

    Returns the relabelled periods (old and new label), empty when the calendar kept its start.
    """
    if version != org.version:
        raise EditConflict
    before = settings_state(org)
    relabelled: list[dict[str, Any]] = []
    new_month = values.get("fiscal_year_start_month", org.fiscal_year_start_month)
    if new_month != org.fiscal_year_start_month:
        relabelled = relabel_periods(int(new_month), actor)
    for name, value in values.items():
        setattr(org, name, value)
    db.session.flush()
    after = settings_state(org)
    if after != before or relabelled:
        audit.record("update", "org_settings", org.id, actor=actor, before=before, after=after)
    return relabelled


def relabel_periods(new_month: int, actor: User) -> list[dict[str, Any]]:
    """Give every (empty) period the label and dates of the new calendar; audited per period.

    Refused with CalendarChangeRefused when any period holds data. Labels first become
    temporary ones so that two periods never share a label mid-way (unique constraint).
    """
    data = queries.period_data()
    if data.has_data:
        raise CalendarChangeRefused(data)
    periods = list(db.session.scalars(select(ReportingPeriod).order_by(ReportingPeriod.id)))
    befores = [_period_state(period) for period in periods]
    for period in periods:
        period.label = f"~{period.id}"[:10]
    db.session.flush()
    for period in periods:
        _redate(period, new_month)
    db.session.flush()
    changes: list[dict[str, Any]] = []
    for period, before in zip(periods, befores, strict=True):
        after = _period_state(period)
        audit.record("relabel", "reporting_period", period.id, actor=actor,
                     before=before, after=after, period_label=period.label)  # fmt: skip
        changes.append({"from": before["label"], "to": after["label"]})
    ids = [p.id for p in periods]
    if ids:  # rollups of empty periods are derived data under the old labels: recomputed
        db.session.execute(delete(RollupSnapshot).where(RollupSnapshot.period_id.in_(ids)))
        cached = delete(RollupPeriodAggregates).where(RollupPeriodAggregates.period_id.in_(ids))
        db.session.execute(cached)
    return changes


def _redate(period: ReportingPeriod, new_month: int) -> None:
    quarter = quarter_of(calc.middle_month(period.start_date), new_month)
    period.fiscal_year, period.quarter = quarter.year, quarter.quarter
    period.start_date, period.end_date = quarter.start(new_month), quarter.end(new_month)
    period.label = quarter.label


def _period_state(period: ReportingPeriod) -> dict[str, str]:
    return {
        "label": period.label,
        "start_date": period.start_date.isoformat(),
        "end_date": period.end_date.isoformat(),
    }


@dataclass(frozen=True)
class DepartmentData:
    """A department as a person typed it (code not yet normalised)."""

    code: str
    name: str
    parent_id: int | None
    short_name: str | None = None


def department_state(dept: Department) -> dict[str, Any]:
    """A department as plain data, for audit events and conflict pages."""
    return {
        "code": dept.code,
        "name": dept.name,
        "short_name": dept.short_name,
        "parent": dept.parent.code if dept.parent is not None else None,
        "is_active": dept.is_active,
        "version": dept.version,
    }


def create_department(data: DepartmentData, actor: User | None) -> Department:
    """Add a department after checking its code, name and parent."""
    code = _checked_code(data.code, None)
    parent = _checked_parent(code, data.parent_id)
    dept = Department(code=code, name=_checked_name(data.name), parent=parent, is_active=True,
                      short_name=_checked_short_name(data.short_name))  # fmt: skip
    db.session.add(dept)
    db.session.flush()
    audit.record("create", "department", dept.id, actor=actor,
                 after=department_state(dept), department_id=dept.id)  # fmt: skip
    return dept


def update_department(dept: Department, data: DepartmentData, version: int, actor: User) -> None:
    """Change a department's code, name or parent; refused when stale or breaking a rule."""
    if version != dept.version:
        raise EditConflict
    before = department_state(dept)
    code = _checked_code(data.code, dept)
    parent = _checked_parent(dept.code, data.parent_id)
    dept.code, dept.name, dept.parent = code, _checked_name(data.name), parent
    dept.short_name = _checked_short_name(data.short_name)
    db.session.flush()
    after = department_state(dept)
    if {**after, "version": 0} != {**before, "version": 0}:
        audit.record("update", "department", dept.id, actor=actor,
                     before=before, after=after, department_id=dept.id)  # fmt: skip


def set_department_active(dept: Department, active: bool, version: int, actor: User) -> None:
    """Deactivate (history kept, out of current rollups) or reactivate a department."""
    if version != dept.version:
        raise EditConflict
    if dept.is_active == active:
        return
    before = department_state(dept)
    dept.is_active = active
    db.session.flush()
    audit.record("reactivate" if active else "deactivate", "department", dept.id, actor=actor,
                 before=before, after=department_state(dept), department_id=dept.id)  # fmt: skip


def _checked_code(raw: str, dept: Department | None) -> str:
    code = calc.normalise_code(raw)
    if dept is not None and code == dept.code:
        return code  # an old code from an A-11 file may predate the rules: keeping it is fine
    problem = calc.code_problem(code)
    if problem:
        raise StructureError("code", problem)
    other = department_by_code(code)
    if other is not None and other is not dept:
        raise StructureError("code", f"{code} is already the code of {other.name}")
    return code


def _checked_name(raw: str) -> str:
    name = raw.strip()
    if not name:
        raise StructureError("name", "a name is required")
    return name[:200]


def _checked_short_name(raw: str | None) -> str | None:
    short_name = calc.normalise_short_name(raw)
    problem = calc.short_name_problem(short_name)
    if problem:
        raise StructureError("short_name", problem)
    return short_name


def _checked_parent(code: str, parent_id: int | None) -> Department | None:
    if parent_id is None:
        return None
    parent = db.session.get(Department, parent_id)
    if parent is None:
        raise StructureError("parent", "that parent department does not exist")
    if calc.creates_cycle(code, parent.code, queries.parent_map()):
        raise StructureError(
            "parent",
            f"{parent.code} is {code} itself or one of its sub-departments: "
            "a department cannot be placed under itself",
        )
    return parent


@dataclass(frozen=True)
class ServiceData:
    """A service as an administrator typed it."""

    name: str
    description: str
    channel_ids: list[int]
    stage_ids: list[int]


def create_service(dept: Department, data: ServiceData, actor: User) -> Service:
    """Add a service to a department; its name must be new in that department."""
    service = Service(department=dept, name=_service_name(dept, data.name, None), provider="")
    db.session.add(service)
    _fill_service(service, data)
    db.session.flush()
    audit.record("create", "service", service.id, actor=actor,
                 after=service_state(service), department_id=dept.id)  # fmt: skip
    return service


def update_service(service: Service, data: ServiceData, version: int, actor: User) -> None:
    """Change a service's name, description, channels and stages; refused when stale."""
    if version != service.version:
        raise EditConflict
    before = service_state(service)
    service.name = _service_name(service.department, data.name, service)
    _fill_service(service, data)
    db.session.flush()
    audit.record("update", "service", service.id, actor=actor, before=before,
                 after=service_state(service), department_id=service.department_id)  # fmt: skip


def set_service_active(service: Service, active: bool, version: int, actor: User) -> None:
    """Deactivate or reactivate a service (its observations are kept)."""
    if version != service.version:
        raise EditConflict
    if service.is_active == active:
        return
    before = {**service_state(service), "is_active": service.is_active}
    service.is_active = active
    db.session.flush()
    after = {**service_state(service), "is_active": service.is_active}
    audit.record("reactivate" if active else "deactivate", "service", service.id, actor=actor,
                 before=before, after=after, department_id=service.department_id)  # fmt: skip


def _service_name(dept: Department, raw: str, service: Service | None) -> str:
    name = raw.strip()
    if not name:
        raise StructureError("name", "a name is required")
    clash = [s for s in dept.services if s.name.casefold() == name.casefold() and s is not service]
    if clash:
        raise StructureError("name", f"{dept.code} already has a service named {clash[0].name}")
    return name[:300]


def _fill_service(service: Service, data: ServiceData) -> None:
    service.description = data.description.strip()
    chosen = select(Channel).where(Channel.id.in_(data.channel_ids))
    stages = select(JourneyStage).where(JourneyStage.id.in_(data.stage_ids))
    try:
        set_links(service, list(db.session.scalars(chosen)), list(db.session.scalars(stages)))
    except RetiredTermError as error:
        raise StructureError(error.field, error.message) from error
