"""Validate rows of observations (the import file and the API share these rules).

`load_lookups` reads every vocabulary the rows refer to once (departments, metrics, periods,
services, channels); `parse_row` then checks one row against them without touching the
database, so 100,000 rows cost 100,000 dictionary look-ups, not queries.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import select

from cxprogram.auth.models import User
from cxprogram.core.fiscal import MonthError, PeriodLabelError, parse_value_period
from cxprogram.core.permissions import editable_department_ids
from cxprogram.extensions import db
from cxprogram.imports.tabular import Row, RowError, did_you_mean, unneutralise
from cxprogram.metrics.display import describe_scale
from cxprogram.metrics.models import MetricDefinition, PeriodState, ReportingPeriod
from cxprogram.metrics.observation_payload import (
    Lookups,
    MetricInfo,
    ObservationRow,
    PeriodInfo,
    StandardInfo,
    is_offered,
    not_offered_reason,
    standard_refusal,
    text_problem,
)
from cxprogram.org.models import Channel, Department, Service, ServiceStandard, service_channels
from cxprogram.org.queries import organization_settings

NOT_ASSIGNED = "you are not assigned to this department"
NOTE_MAX_CHARS = 10_000
COLUMNS: tuple[str, ...] = ("department", "metric", "period", "value")
KEY_ALIAS = "import_key"  # the source key's former column name, still read as `key`
# Columns an export carries for the person reading it: known, accepted and not read (the
# codes decide, and target and status follow from the metric and the value).
INFORMATIONAL: tuple[str, ...] = (
    "department_name", "metric_name", "target", "status", "period_start", "period_end",
)  # fmt: skip
OPTIONAL: tuple[str, ...] = (
    "n", "service", "channel", "note", "key", KEY_ALIAS, "label", "standard", "month",
    *INFORMATIONAL,
)  # fmt: skip


def load_lookups(actor: User | None) -> Lookups:
    """Read the vocabularies once; the actor decides which departments may be written."""
    services: dict[tuple[int, str], int] = {}
    for sid, dept_id, name in db.session.execute(
        select(Service.id, Service.department_id, Service.name)
    ):
        services[(dept_id, name.strip().casefold())] = sid
    channels: dict[str, int] = {}
    retired: dict[int, str] = {}
    query = select(Channel.id, Channel.code, Channel.name, Channel.is_retired)
    for cid, code, name, is_retired in db.session.execute(query):
        channels[name.strip().casefold()] = cid
        channels[code.casefold()] = cid
        if is_retired:
            retired[cid] = name
    departments = db.session.execute(select(Department.id, Department.code))
    return Lookups(
        departments={code.upper(): i for i, code in departments},
        metrics=_metrics(),
        periods={
            label: PeriodInfo(pid, state == PeriodState.CLOSED)
            for pid, label, state in db.session.execute(
                select(ReportingPeriod.id, ReportingPeriod.label, ReportingPeriod.state)
            )
        },
        services=services,
        channels=channels,
        editable=editable_department_ids(actor),
        start_month=organization_settings().fiscal_year_start_month,
        today=datetime.now(UTC).date(),
        offered=offered_channels(),
        standards=standards_by_code(),
        retired_channels=retired,
    )  # fmt: skip


def standards_by_code() -> dict[str, StandardInfo]:
    """Every service standard by its code (case-folded), retired ones too (one query)."""
    s = ServiceStandard.__table__.c
    query = select(s.id, s.code, s.service_id, s.metric_id, s.target, s.is_retired)
    return {
        code.casefold(): StandardInfo(sid, code, service, metric, target, retired)
        for sid, code, service, metric, target, retired in db.session.execute(query)
    }


def offered_channels() -> dict[int, set[int]]:
    """service id -> the ids of the channels it is offered through (one query)."""
    offered: dict[int, set[int]] = {}
    for service_id, channel_id in db.session.execute(select(service_channels)).tuples():
        offered.setdefault(service_id, set()).add(channel_id)
    return offered


def _metrics() -> dict[str, MetricInfo]:
    query = select(
        MetricDefinition.id,
        MetricDefinition.code,
        MetricDefinition.scale_min,
        MetricDefinition.scale_max,
        MetricDefinition.owner_department_id,
        MetricDefinition.unit,
        MetricDefinition.frequency,
    )
    return {
        code.casefold(): MetricInfo(mid, code, low, high, owner, unit.value, frequency.value)
        for mid, code, low, high, owner, unit, frequency in db.session.execute(query).tuples()
    }


def cleaned(cells: dict[str, str]) -> dict[str, str]:
    """Every cell stripped, with spreadsheet formula neutralisation undone (one pass a row)."""
    out = {}
    for column, value in cells.items():
        value = value.strip()
        out[column] = unneutralise(value) if value[:1] == "'" else value
    return out


def parse_number(raw: str) -> float | None:
    """A finite number from a cell (a decimal comma is accepted), or None."""
    raw = raw.strip()
    if "_" in raw:
        return None
    if "," in raw and "." not in raw and raw.count(",") == 1:
        whole, _, fraction = raw.partition(",")
        if len(fraction) == 3:
            return None  # 1,234 is a thousands separator or a decimal: refuse to guess
        raw = f"{whole}.{fraction}"
    try:
        number = float(raw)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def parse_row(row: Row, look: Lookups, errors: list[RowError]) -> ObservationRow | None:
    """Check one row; append every problem to `errors`; the row resolved to ids, or None."""
    start, number, cells = len(errors), row.number, cleaned(row.cells)
    dept_id = _department(number, cells, look, errors)
    metric = _metric(number, cells, look, dept_id, errors)
    when = _period(number, cells, look, metric, errors)
    value = _value(number, cells, metric, errors)
    n = _n(number, cells, errors)
    service_id = _service(number, cells, look, dept_id, errors)
    channel_id = _channel(number, cells, look, errors)
    if not is_offered(look.offered, service_id, channel_id):
        reason = not_offered_reason(cells["service"], cells["channel"])
        errors.append(RowError(number, "channel", reason))
    standard_id = _standard(number, cells, look, service_id, metric, errors)
    source_key = _source_key(number, cells, errors)
    _stored_text(number, cells, errors)
    if len(errors) > start:
        return None
    assert dept_id is not None and metric is not None and when is not None
    assert value is not None
    period_label, month = when
    key = (dept_id, metric.id, period_label, service_id, channel_id, source_key, standard_id,
           month)  # fmt: skip
    note = cells.get("note")
    return ObservationRow(number, key, value, n, note, "n" in cells, label=cells.get("label"))


def _source_key(number: int, cells: dict[str, str], errors: list[RowError]) -> str:
    """The row's `key` (or its alias `import_key`); both given and different is an error."""
    key, alias = cells.get("key", ""), cells.get(KEY_ALIAS, "")
    if key and alias and key != alias:
        errors.append(RowError(number, "key", f"key '{key}' and import_key '{alias}' differ: "
                                              "give the source key in one column"))  # fmt: skip
    return key or alias


def _department(
    number: int, cells: dict[str, str], look: Lookups, errors: list[RowError]
) -> int | None:
    code = cells.get("department", "")
    dept_id = look.departments.get(code.upper())
    if not _known(number, "department", code, dept_id, errors, look.departments):
        return None
    if look.editable is not None and dept_id not in look.editable:
        errors.append(RowError(number, "department", f"{NOT_ASSIGNED} ({code.upper()})"))
        return None
    return dept_id


def _known(
    number: int,
    field: str,
    code: str,
    found: object,
    errors: list[RowError],
    known: Iterable[str] = (),
) -> bool:
    """False, with the row's error, when the cell is empty or names nothing known (with the
    nearest known name, if one is near)."""
    if not code:
        errors.append(RowError(number, field, "required"))
    elif found is None:
        hint = suggestion(code, tuple(known))
        errors.append(RowError(number, field, f"unknown {field} '{code}'{hint}"))
    return bool(code) and found is not None


@functools.lru_cache(maxsize=1024)
def suggestion(name: str, known: tuple[str, ...]) -> str:
    """did_you_mean, once per misspelling: a file repeats the same one on many rows."""
    return did_you_mean(name, known)


def _metric(
    number: int, cells: dict[str, str], look: Lookups, dept_id: int | None, errors: list[RowError]
) -> MetricInfo | None:
    code = cells.get("metric", "")
    metric = look.metrics.get(code.casefold())
    if not _known(number, "metric", code, metric, errors, look.metrics) or metric is None:
        return None
    if dept_id is not None and metric.owner_department_id not in (None, dept_id):
        errors.append(RowError(number, "metric", f"metric '{code}' belongs to another department"))
        return None
    return metric  # fmt: skip


def _period(
    number: int,
    cells: dict[str, str],
    look: Lookups,
    metric: MetricInfo | None,
    errors: list[RowError],
) -> tuple[str, int | None] | None:
    """The row's period label and month, read by the metric's frequency (SPEC 3)."""
    raw, month = cells.get("period", ""), _month(number, cells, errors)
    if month is False:
        return None
    frequency = metric.frequency if metric is not None else "quarterly"
    cache = (raw, frequency, month)
    found = look.labels.get(cache)
    if found is None:
        found = look.labels[cache] = _label(raw, month, frequency, look)
    if isinstance(found, RowError):
        errors.append(RowError(number, found.column, found.reason))
        return None
    return cast(tuple[str, int | None], found)


def _month(number: int, cells: dict[str, str], errors: list[RowError]) -> int | None | bool:
    """The `month` cell as a calendar month 1..12 (None when empty; False, with the row's
    error, when it is not one)."""
    raw = cells.get("month", "")
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= 12:
        reason = f"'{raw}' is not a month: write its number, 1 (January) to 12 (December)"
        errors.append(RowError(number, "month", reason))
        return False
    return int(raw)


def _label(raw: str, month: int | None, frequency: str, look: Lookups) -> object:
    """(label, month) of a cell, or the reason it is refused (cached per distinct text)."""
    if not raw:
        return RowError(0, "period", "required")
    try:
        quarter, month = parse_value_period(raw, month, frequency, look.start_month)
    except MonthError as error:
        return RowError(0, "month", str(error))
    except PeriodLabelError as error:
        return RowError(0, "period", str(error))
    if quarter.label not in look.periods and quarter.start(look.start_month) > look.today:
        return RowError(0, "period", f"period {quarter.label} has not started yet")
    return quarter.label, month


def _value(
    number: int, cells: dict[str, str], metric: MetricInfo | None, errors: list[RowError]
) -> float | None:
    raw = cells.get("value", "")
    if not raw:
        errors.append(RowError(number, "value", "required"))
        return None
    value = parse_number(raw)
    if value is None:
        errors.append(RowError(number, "value", f"'{raw}' is not a number"))
        return None
    if metric is not None and not _in_scale(value, metric):
        scale = describe_scale(metric.scale_min, metric.scale_max, metric.unit)
        errors.append(RowError(number, "value", f"{raw} is outside the scale of metric "
                                                    f"'{metric.code}' ({scale})"))  # fmt: skip
        return None
    return value


def _in_scale(value: float, metric: MetricInfo) -> bool:
    low = -math.inf if metric.scale_min is None else metric.scale_min
    high = math.inf if metric.scale_max is None else metric.scale_max
    return low <= value <= high


def _n(number: int, cells: dict[str, str], errors: list[RowError]) -> float | None:
    raw = cells.get("n", "")
    if not raw:
        return None
    n = parse_number(raw)
    if n is None:
        errors.append(RowError(number, "n", f"'{raw}' is not a number"))
    elif n < 0:
        errors.append(RowError(number, "n", f"n must not be negative ({raw})"))
    return n


def _service(
    number: int, cells: dict[str, str], look: Lookups, dept_id: int | None, errors: list[RowError]
) -> int | None:
    name = cells.get("service", "")
    if not name or dept_id is None:
        return None
    service_id = look.services.get((dept_id, name.casefold()))
    if service_id is None:
        names = tuple(n for d, n in look.services if d == dept_id)
        hint = suggestion(name, names)
        errors.append(
            RowError(number, "service", f"unknown service '{name}' for this department{hint}")
        )
    return service_id  # fmt: skip


def _stored_text(number: int, cells: dict[str, str], errors: list[RowError]) -> None:
    """Text stored as given: a note must not hold NUL, which databases (PostgreSQL) refuse;
    a key and a label follow the observation's rule (observation_payload.text_problem)."""
    note = cells.get("note", "")
    if "\x00" in note:
        errors.append(RowError(number, "note", "contains a NUL character"))
    elif len(note) > NOTE_MAX_CHARS:
        errors.append(RowError(number, "note", f"longer than {NOTE_MAX_CHARS:,} characters, "
                                               "the limit of a note"))  # fmt: skip
    for column, field in (("key", "key"), (KEY_ALIAS, "key"), ("label", "label")):
        problem = text_problem(field, cells.get(column, ""))
        if problem is not None:
            errors.append(RowError(number, column, problem))


def _channel(
    number: int, cells: dict[str, str], look: Lookups, errors: list[RowError]
) -> int | None:
    name = cells.get("channel", "")
    if not name:
        return None
    channel_id = look.channels.get(name.casefold())
    if channel_id is None:
        hint = suggestion(name, tuple(look.channels))
        errors.append(RowError(number, "channel", f"unknown channel '{name}'{hint}"))
    return channel_id


def is_permission_error(error: RowError) -> bool:
    """True for the error an officer gets on another department's row."""
    return error.column == "department" and error.reason.startswith(NOT_ASSIGNED)


def _standard(
    number: int, cells: dict[str, str], look: Lookups, service_id: int | None,
    metric: MetricInfo | None, errors: list[RowError],
) -> int | None:  # fmt: skip
    """The standard the row names by its code (SPEC 3), checked as the write service checks
    it (observation_payload.standard_refusal); None when the cell is empty."""
    code = cells.get("standard", "")
    if not code:
        return None
    standard = look.standards.get(code.casefold())
    if standard is None:
        errors.append(RowError(number, "standard", f"unknown standard '{code}'"))
        return None
    if metric is None or (cells.get("service") and service_id is None):
        return standard.id  # the metric's or the service's own error says what is wrong
    if service_id is None:
        reason = f"the standard '{standard.code}' needs the row's service"
        errors.append(RowError(number, "service", reason))
        return None
    # a retired standard is refused on new rows by the write service, which knows them
    refusal = standard_refusal(standard, service_id, metric.id, is_new=False)
    if refusal is not None:
        errors.append(RowError(number, "standard", refusal))
        return None
    return standard.id
