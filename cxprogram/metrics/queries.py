"""Reads over metrics, periods and observations (the data-entry grid), grouped in the database."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import joinedload

from cxprogram.core.fiscal import parse_period
from cxprogram.core.inputs import to_int
from cxprogram.extensions import db
from cxprogram.metrics.calc import MetricRule
from cxprogram.metrics.models import (
    Direction,
    MetricDefinition,
    Observation,
    PeriodState,
    ReportingPeriod,
)
from cxprogram.org.models import Channel, Department, Service

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

    @property
    def place(self) -> str:
        """Service and channel, as the grid's row header says them."""
        service = self.service.name if self.service else "department level"
        if self.channel is not None:
            return f"{service}, {self.channel.name}"
        return service if self.service is None else f"{service}, all channels"

    @property
    def label(self) -> str:
        """Metric, service, channel (and source record when several share a cell)."""
        parts = [self.metric.name, self.service.name if self.service else "department level"]
        if self.channel is not None:
            parts.append(self.channel.name)
        if self.record:
            parts.append(f"record {self.record}")
        return ", ".join(parts)

    @property
    def is_group_start(self) -> bool:
        """The first record of a cell that holds several."""
        return len(self.records) > 1 and self.record == self.records[0]

    @property
    def rule(self) -> MetricRule:
        """The metric's scale and target, for the pure checks."""
        return metric_rule(self.metric)

    @property
    def cell(self) -> tuple[int, int | None, int | None]:
        """(metric, service, channel) ids."""
        return (self.metric.id, self.service.id if self.service else None,
                self.channel.id if self.channel else None)  # fmt: skip


def metric_rule(metric: MetricDefinition) -> MetricRule:
    """A metric definition as the pure grid checks see it."""
    return MetricRule(
        name=metric.name, target=metric.target, tolerance=metric.tolerance,
        higher_is_better=metric.direction == Direction.HIGHER,
        scale_min=metric.scale_min, scale_max=metric.scale_max,
        aggregation=metric.aggregation.value, scale_text=metric.scale_text,
        decimals=metric.shown_decimals,
    )  # fmt: skip


def new_row_key(metric_id: int, service_id: int | None, channel_id: int | None) -> str:
    """The form key of an empty cell: n<metric>-<service or 0>-<channel or 0>."""
    return f"n{metric_id}-{service_id or 0}-{channel_id or 0}"


def parse_new_row_key(key: str) -> tuple[int, int | None, int | None] | None:
    """(metric, service, channel) ids of a new-row key, or None when malformed."""
    parts = key[1:].split("-") if key.startswith("n") else []
    numbers = [to_int(p) for p in parts]
    if len(numbers) != 3 or any(n is None for n in numbers):
        return None
    metric_id, service_id, channel_id = (n or 0 for n in numbers)
    return metric_id, service_id or None, channel_id or None


def reported_metrics_query(department_id: int) -> Select[tuple[MetricDefinition]]:
    """The metrics a department reports: the standard ones and its own, in catalog order."""
    return (
        select(MetricDefinition)
        .where(
            or_(
                MetricDefinition.owner_department_id.is_(None),
                MetricDefinition.owner_department_id == department_id,
            )
        )
        .order_by(MetricDefinition.owner_department_id.is_not(None), MetricDefinition.id)
    )


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


def previous_values(department_id: int, period: ReportingPeriod) -> dict[Cell, float]:
    """The previous period's pooled value of each (metric, service, channel) cell."""
    try:
        label = parse_period(period.label).previous().label
    except ValueError:
        return {}
    has_n = Observation.n > 0
    weighted = func.sum(case((has_n, Observation.value * Observation.n))) / func.sum(
        case((has_n, Observation.n))
    )
    cols = (Observation.metric_id, Observation.service_id, Observation.channel_id)
    rows = db.session.execute(
        select(*cols, func.coalesce(weighted, func.avg(Observation.value)))
        .join(Observation.period)
        .where(ReportingPeriod.label == label, Observation.department_id == department_id)
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
    """Every metric the department reports x the laid-out places, with the stored
    observations in theirs (several records of one place together), grouped by metric."""
    metrics = list(db.session.scalars(reported_metrics_query(department.id)))
    stored: dict[Cell, list[Observation]] = {}
    for obs in department_observations(department.id, period.id):
        stored.setdefault((obs.metric_id, obs.service_id, obs.channel_id), []).append(obs)
    previous = previous_values(department.id, period)
    laid_out = laid_out_places(department)
    wanted = _extra_cells(department, metrics, extra or [])
    rows: list[GridRow] = []
    for metric in metrics:
        for service, channel in _places(metric, laid_out, stored, wanted.get(metric.id, [])):
            cell = (metric.id, service.id if service else None, channel.id if channel else None)
            rows += _cell_rows(metric, service, channel, stored.get(cell, []),
                               previous.get(cell))  # fmt: skip
    return rows


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
    stored: list[Observation], previous: float | None,
) -> list[GridRow]:  # fmt: skip
    if not stored:
        key = new_row_key(metric.id, service.id if service else None,
                          channel.id if channel else None)  # fmt: skip
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
