"""Reads over metrics, periods and observations (the data-entry grid), grouped in the database."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import QueryableAttribute, joinedload

from cxprogram.core.fiscal import (
    FiscalQuarter,
    is_due_in,
    month_label,
    parse_period,
    quarter_months,
)
from cxprogram.core.inputs import to_int
from cxprogram.extensions import db
from cxprogram.metrics.calc import MetricRule
from cxprogram.metrics.catalog import DERIVED_CODES, STANDARD_ONLY_CODES
from cxprogram.metrics.models import (
    Direction,
    Frequency,
    MetricDefinition,
    Observation,
    PeriodState,
    ReportingPeriod,
)
from cxprogram.org.models import Channel, Department, Service, ServiceStandard
from cxprogram.org.queries import organization_settings

Cell = tuple[int, int | None, int | None]


def department_scores_query(
    period_label: str, metric_code: str
) -> Select[tuple[str, float, float]]:
    """(department code, pooled score, N) for one metric and period (SPEC 4.1, weighted mean).

    Observations with n > 0 are pooled by n; a department none of whose observations has an
    n gets the plain mean, with N = their count.
    """
    has_n = Observation.n > 0
    weighted = func.sum(case((has_n, Observation.value * Observation.n))) / func.sum(
        case((has_n, Observation.n))
    )
    score = func.coalesce(weighted, func.avg(Observation.value))
    volume = func.coalesce(func.sum(case((has_n, Observation.n))), func.count(Observation.id))
    return (
        select(Department.code, score.label("score"), volume.label("n"))
        .join(Observation.department)
        .join(Observation.metric)
        .join(Observation.period)
        .where(ReportingPeriod.label == period_label, MetricDefinition.code == metric_code)
        .group_by(Department.code)
        .order_by(Department.code)
    )


@dataclass(frozen=True)
class GridRow:
    """One row of the data-entry grid: a stored observation, or an empty cell to fill.

    `records` names every stored record of the row's cell when there are several (A-11
    collections of one service and channel), so the page shows them as one group."""

    key: str
    metric: MetricDefinition
    service: Service | None
    channel: Channel | None
    record: str
    observation: Observation | None
    previous: float | None
    records: tuple[str, ...] = ()
    standard: ServiceStandard | None = None  # the service standard the row reports on
    month: int | None = None  # a monthly metric's month (calendar 1..12)
    month_text: str = ""  # the month as a person reads it ("October 2023")

    @property
    def place(self) -> str:
        """Service and channel (and a monthly row's month), as the grid's row header says."""
        service = self.service.name if self.service else "department level"
        if self.channel is not None:
            place = f"{service}, {self.channel.name}"
        else:
            place = service if self.service is None else f"{service}, all channels"
        return f"{place}, {self.month_text}" if self.month_text else place

    @property
    def label(self) -> str:
        """Metric, service, channel, month (and source record when several share a cell)."""
        parts = [self.metric.name, self.service.name if self.service else "department level"]
        if self.channel is not None:
            parts.append(self.channel.name)
        if self.month_text:
            parts.append(self.month_text)
        if self.standard is not None:
            parts.append(f"standard {self.standard.code}")
        if self.record:
            parts.append(f"record {self.record}")
        return ", ".join(parts)

    @property
    def is_group_start(self) -> bool:
        """The first record of a cell that holds several."""
        return len(self.records) > 1 and self.record == self.records[0]

    @property
    def rule(self) -> MetricRule:
        """The metric's scale and target (its standard's target on a standard's row)."""
        return metric_rule(self.metric, self.standard)

    @property
    def cell(self) -> tuple[int, int | None, int | None]:
        """(metric, service, channel) ids."""
        return (self.metric.id, self.service.id if self.service else None,
                self.channel.id if self.channel else None)  # fmt: skip


def metric_rule(metric: MetricDefinition, standard: ServiceStandard | None = None) -> MetricRule:
    """A metric definition as the pure grid checks see it; a service standard's own target
    replaces the metric's for the standard's observations (SPEC 3)."""
    return MetricRule(
        name=metric.name, target=judged_target(metric.target, standard),
        tolerance=metric.tolerance,
        higher_is_better=metric.direction == Direction.HIGHER,
        scale_min=metric.scale_min, scale_max=metric.scale_max,
        aggregation=metric.aggregation.value, scale_text=metric.scale_text,
        decimals=metric.shown_decimals,
    )  # fmt: skip


def judged_target(metric_target: float | None, standard: ServiceStandard | None) -> float | None:
    """The target an observation is judged against: its standard's, else its metric's."""
    return standard.target if standard is not None else metric_target


def new_row_key(
    metric_id: int, service_id: int | None, channel_id: int | None, month: int | None = None
) -> str:
    """The form key of an empty cell: n<metric>-<service or 0>-<channel or 0>, and -<month>
    for a monthly metric's."""
    key = f"n{metric_id}-{service_id or 0}-{channel_id or 0}"
    return f"{key}-{month}" if month else key


def new_row_month(key: str) -> int | None:
    """The month of a monthly metric's new-row key (None for the others)."""
    parts = key.split("-")
    return to_int(parts[3]) if key.startswith("n") and len(parts) == 4 else None


def new_standard_row_key(standard: ServiceStandard) -> str:
    """The form key of a standard's empty row: s<standard id>."""
    return f"s{standard.id}"


def parse_new_row_key(key: str) -> tuple[int, int | None, int | None] | None:
    """(metric, service, channel) ids of a new-row key, or None when malformed."""
    parts = key[1:].split("-") if key.startswith("n") else []
    numbers = [to_int(p) for p in parts]
    if len(numbers) not in (3, 4) or any(n is None for n in numbers):
        return None
    numbers = numbers[:3]
    metric_id, service_id, channel_id = (n or 0 for n in numbers)
    return metric_id, service_id or None, channel_id or None


def reported_clause(
    department_id: ColumnElement[int] | QueryableAttribute[int] | int,
) -> ColumnElement[bool]:
    """The one rule of which metrics a department reports: the standard ones and its own,
    never a derived one (computed, not entered), and a metric only service standards use
    (within_standard) only when one of the department's services has such a standard."""
    has_standard = (
        select(ServiceStandard.id)
        .join(Service, Service.id == ServiceStandard.service_id)
        .where(
            ServiceStandard.metric_id == MetricDefinition.id,
            Service.department_id == department_id,
            ServiceStandard.is_retired.is_(False),
        )
        .exists()
    )
    return and_(
        or_(
            MetricDefinition.owner_department_id.is_(None),
            MetricDefinition.owner_department_id == department_id,
        ),
        MetricDefinition.code.not_in(DERIVED_CODES),
        or_(MetricDefinition.code.not_in(STANDARD_ONLY_CODES), has_standard),
    )


def reported_metrics_query(
    department_id: int, quarter: int | None = None
) -> Select[tuple[MetricDefinition]]:
    """The metrics a department reports (reported_clause), in catalog order; with a fiscal
    quarter (1..4), only those due in it."""
    query = (
        select(MetricDefinition)
        .where(reported_clause(department_id))
        .order_by(MetricDefinition.owner_department_id.is_not(None), MetricDefinition.id)
    )
    return query if quarter is None else query.where(is_due_clause(quarter))


def is_due_clause(quarter: int) -> ColumnElement[bool]:
    """The metrics due in a fiscal quarter (1..4), by the one rule (core/fiscal.is_due_in):
    an annual metric only in the year's last quarter."""
    return MetricDefinition.frequency.in_([f for f in Frequency if is_due_in(f, quarter)])


def latest_open_period() -> ReportingPeriod | None:
    """The open period that ends last: the one departments are reporting on."""
    return db.session.scalar(
        select(ReportingPeriod)
        .where(ReportingPeriod.state == PeriodState.OPEN)
        .order_by(ReportingPeriod.end_date.desc())
        .limit(1)
    )


def metric_by_code(code: str) -> MetricDefinition | None:
    """The metric with this code, or None."""
    return db.session.scalar(select(MetricDefinition).where(MetricDefinition.code == code))


def period_by_label(label: str) -> ReportingPeriod | None:
    """The reporting period with this label (any case), or None."""
    return db.session.scalar(
        select(ReportingPeriod).where(ReportingPeriod.label == label.strip().upper())
    )


def previous_values(department_id: int, label: str) -> dict[Cell, float]:
    """The pooled value of each (metric, service, channel) cell in the period with this
    label (the grid's "previous period"; a monthly metric's months pooled)."""
    has_n = Observation.n > 0
    weighted = func.sum(case((has_n, Observation.value * Observation.n))) / func.sum(
        case((has_n, Observation.n))
    )
    cols = (Observation.metric_id, Observation.service_id, Observation.channel_id)
    rows = db.session.execute(
        select(*cols, func.coalesce(weighted, func.avg(Observation.value)))
        .join(Observation.period)
        .where(
            ReportingPeriod.label == label,
            Observation.department_id == department_id,
            Observation.standard_id.is_(None),
        )
        .group_by(*cols)
    )
    return {(m, s, c): float(v) for m, s, c, v in rows.tuples()}


def department_observations(department_id: int, period_id: int) -> list[Observation]:
    """A department's observations in a period, with metric, service and channel loaded."""
    query = (
        select(Observation)
        .where(Observation.department_id == department_id, Observation.period_id == period_id)
        .options(
            joinedload(Observation.metric),
            joinedload(Observation.service),
            joinedload(Observation.channel),
            joinedload(Observation.standard),
        )
        .order_by(Observation.id)
    )
    return list(db.session.scalars(query).unique())


Place = tuple[Service | None, Channel | None]


def laid_out_places(department: Department) -> list[Place]:
    """The rows every metric gets before anyone types: the department level, then each
    active service on each current channel it is offered through (all channels when it names
    no current one; a retired channel's row shows only where a value is stored)."""
    places: list[Place] = [(None, None)]
    for service in department.services:
        if service.is_active:
            current = [c for c in service.channels if not c.is_retired]
            channels = sorted(current, key=lambda c: c.id)
            places += [(service, c) for c in channels] if channels else [(service, None)]
    return places


def grid_rows(
    department: Department, period: ReportingPeriod, extra: list[str] | None = None
) -> list[GridRow]:
    """Every metric the department reports that is due in the period (an annual one in the
    year's last quarter, or wherever values are stored) x the laid-out places, with the
    stored observations in theirs (several records of one place together, a monthly
    metric's three months in order), grouped by metric."""
    quarter = parse_period(period.label)
    stored: dict[Cell, list[Observation]] = {}
    by_standard: dict[int, list[Observation]] = {}
    for obs in department_observations(department.id, period.id):
        if obs.standard_id is not None:
            by_standard.setdefault(obs.standard_id, []).append(obs)
            continue
        stored.setdefault((obs.metric_id, obs.service_id, obs.channel_id), []).append(obs)
    metrics = [
        m for m in db.session.scalars(reported_metrics_query(department.id))
        if is_due_in(m.frequency, quarter.quarter) or any(c[0] == m.id for c in stored)
        or any(o.metric_id == m.id for obs in by_standard.values() for o in obs)
    ]  # fmt: skip
    standards = _grid_standards(department, set(by_standard))
    previous = _previous_by_frequency(department.id, quarter)
    months = _months(quarter)
    laid_out = laid_out_places(department)
    wanted = _extra_cells(department, metrics, extra or [])
    rows: list[GridRow] = []
    for metric in metrics:
        for service, channel in _places(metric, laid_out, stored, wanted.get(metric.id, [])):
            cell = (metric.id, service.id if service else None, channel.id if channel else None)
            found, before = stored.get(cell, []), previous[metric.frequency].get(cell)
            if metric.frequency != Frequency.MONTHLY:
                rows += _cell_rows(metric, service, channel, found, before)
                continue
            for month, text in months:
                rows += [replace(r, month=month, month_text=text) for r in _cell_rows(
                    metric, service, channel, [o for o in found if o.month == month], before,
                    month)]  # fmt: skip
        for standard in standards.get(metric.id, []):
            rows += _standard_rows(metric, standard, by_standard.get(standard.id, []))
    return rows


def _months(quarter: FiscalQuarter) -> list[tuple[int, str]]:
    """The quarter's months and how a person reads them, by the organization's calendar."""
    start = organization_settings().fiscal_year_start_month
    return [(m, month_label(quarter, m, start)) for m in quarter_months(quarter, start)]


def _previous_by_frequency(
    department_id: int, quarter: FiscalQuarter
) -> dict[Frequency, dict[Cell, float]]:
    """The previous values each frequency compares with: the previous quarter, or for an
    annual metric the previous year's last quarter (SPEC 3)."""

    def values(back: int) -> dict[Cell, float]:
        try:
            return previous_values(department_id, quarter.shift(-back).label)
        except ValueError:  # before the calendar's first year
            return {}

    last_quarter, last_year = values(1), values(4)
    return {Frequency.MONTHLY: last_quarter, Frequency.QUARTERLY: last_quarter,
            Frequency.ANNUAL: last_year}  # fmt: skip


def _grid_standards(department: Department, stored: set[int]) -> dict[int, list[ServiceStandard]]:
    """The standards of the department's active services that are in force, and any other
    its stored observations name, by metric (in code order)."""
    query = (
        select(ServiceStandard)
        .join(ServiceStandard.service)
        .where(
            Service.department_id == department.id,
            or_(
                (Service.is_active.is_(True)) & (ServiceStandard.is_retired.is_(False)),
                ServiceStandard.id.in_(stored),
            ),
        )
        .options(joinedload(ServiceStandard.service), joinedload(ServiceStandard.channel))
        .order_by(ServiceStandard.code)
    )
    out: dict[int, list[ServiceStandard]] = {}
    for standard in db.session.scalars(query):
        out.setdefault(standard.metric_id, []).append(standard)
    return out


def _standard_rows(
    metric: MetricDefinition, standard: ServiceStandard, stored: list[Observation]
) -> list[GridRow]:
    """A standard's rows: its stored observations, or one empty row to fill."""
    service, channel = standard.service, standard.channel
    if not stored:
        key = new_standard_row_key(standard)
        return [GridRow(key, metric, service, channel, "", None, None, (), standard)]
    ordered = sorted(stored, key=lambda o: o.import_key)
    records = tuple(o.import_key for o in ordered) if len(ordered) > 1 else ()
    return [
        GridRow(f"o{o.id}", metric, service, channel, o.import_key, o, None, records, standard)
        for o in ordered
    ]


def _places(
    metric: MetricDefinition, laid_out: list[Place], stored: dict[Cell, list[Observation]],
    wanted: list[Place],
) -> list[Place]:  # fmt: skip
    """The laid-out places, then those only stored values use, then those a person added."""

    def ids(place: Place) -> tuple[int | None, int | None]:
        return (place[0].id if place[0] else None, place[1].id if place[1] else None)

    mine = [obs[0] for cell, obs in stored.items() if cell[0] == metric.id]
    others = [(o.service, o.channel) for o in sorted(mine, key=_obs_order)]
    places: dict[tuple[int | None, int | None], Place] = {}
    for place in laid_out + others + wanted:
        places.setdefault(ids(place), place)
    return list(places.values())


def _cell_rows(
    metric: MetricDefinition, service: Service | None, channel: Channel | None,
    stored: list[Observation], previous: float | None, month: int | None = None,
) -> list[GridRow]:  # fmt: skip
    if not stored:
        key = new_row_key(metric.id, service.id if service else None,
                          channel.id if channel else None, month)  # fmt: skip
        return [GridRow(key, metric, service, channel, "", None, previous)]
    ordered = sorted(stored, key=lambda o: o.import_key)
    records = tuple(o.import_key for o in ordered) if len(ordered) > 1 else ()
    return [
        GridRow(f"o{o.id}", metric, service, channel, o.import_key, o, previous, records)
        for o in ordered
    ]


def _obs_order(obs: Observation) -> tuple[str, str, str]:
    return (obs.service.name if obs.service else "", obs.channel.name if obs.channel else "",
            obs.import_key)  # fmt: skip


def _extra_cells(
    department: Department, metrics: list[MetricDefinition], keys: list[str]
) -> dict[int, list[tuple[Service | None, Channel | None]]]:
    """The cells a person added to the grid, keeping only those that make sense."""
    metric_ids = {m.id for m in metrics}
    services = {s.id: s for s in department.services}
    channels = {c.id: c for c in db.session.scalars(select(Channel))}
    wanted: dict[int, list[tuple[Service | None, Channel | None]]] = {}
    for key in dict.fromkeys(keys):
        ids = parse_new_row_key(key)
        if ids is None or ids[0] not in metric_ids:
            continue
        service = services.get(ids[1]) if ids[1] else None
        channel = channels.get(ids[2]) if ids[2] else None
        if (ids[1] and service is None) or (ids[2] and channel is None):
            continue
        wanted.setdefault(ids[0], []).append((service, channel))
    return wanted


def periods_query() -> Select[tuple[ReportingPeriod]]:
    """Every reporting period, latest first."""
    return select(ReportingPeriod).order_by(ReportingPeriod.start_date.desc())
