"""Reads for the exports: observations and strategies as rows of plain values.

Observation rows carry the columns the observations import reads, and beside them what a
person needs to read them: the department's and the metric's names, the metric's target and
the value's status (the grid's own rule, metrics.calc.MetricRule.status), the period's
dates. The import knows those as informational and does not read them, so an exported file
imports back to the same data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from cxprogram.auth.models import User
from cxprogram.core.fiscal import FiscalQuarter
from cxprogram.core.permissions import limit_to_readable
from cxprogram.exports.formats import whole
from cxprogram.exports.models import ExportJob, JobState
from cxprogram.extensions import db
from cxprogram.metrics.calc import MetricRule
from cxprogram.metrics.models import MetricDefinition, Observation, ReportingPeriod
from cxprogram.metrics.queries import metric_rule
from cxprogram.org.models import Channel, Department, Service, ServiceStandard
from cxprogram.org.queries import organization_settings
from cxprogram.strategies.models import Strategy, StrategyMetric

OBSERVATION_COLUMNS = (
    "department", "department_name", "metric", "metric_name", "period", "month", "service",
    "channel", "key", "label", "standard", "value", "n", "target", "status", "note",
    "period_start",
    "period_end",
)  # fmt: skip
# Widths in characters of the XLSX columns (a stream cannot measure its rows first)
OBSERVATION_WIDTHS = (
    12, 32, 18, 32, 11, 7, 28, 12, 16, 36, 18, 12, 10, 10, 8, 48, 12, 12,
)  # fmt: skip
STRATEGY_COLUMNS = (
    "department", "id", "title", "status", "progress", "owner", "problem", "description",
    "drivers", "metrics", "start_date", "effective_date", "end_date",
    "period", "period_start", "period_end",
)  # fmt: skip


@dataclass(frozen=True)
class ExportFilter:
    """Which rows to export, among the departments the reader reads."""

    reader: User
    fiscal_year: int | None = None
    quarter: int | None = None
    department_id: int | None = None

    def window(self) -> tuple[str, date, date] | None:
        """The period the filter names (a quarter or a whole fiscal year), with its dates."""
        if self.fiscal_year is None:
            return None
        if self.quarter is not None:
            q = FiscalQuarter(self.fiscal_year, self.quarter)
            return q.label, q.start(_start_month()), q.end(_start_month())
        first, last = FiscalQuarter(self.fiscal_year, 1), FiscalQuarter(self.fiscal_year, 4)
        return f"FY{self.fiscal_year:04d}", first.start(_start_month()), last.end(_start_month())

    def params(self) -> dict[str, int | None]:
        """The filter as plain data (an export job keeps it); the reader is not part of it."""
        return {"fiscal_year": self.fiscal_year, "quarter": self.quarter,
                "department_id": self.department_id}  # fmt: skip

    def departments(self, column: Any, query: Select[Any]) -> Select[Any]:
        """Limit a query to the chosen department and to the readable ones."""
        if self.department_id is not None:
            query = query.where(column == self.department_id)
        return limit_to_readable(query, column, self.reader)


def _start_month() -> int:
    return organization_settings().fiscal_year_start_month


def _observations_where(flt: ExportFilter, query: Select[Any]) -> Select[Any]:
    if flt.fiscal_year is not None:
        query = query.where(ReportingPeriod.fiscal_year == flt.fiscal_year)
    if flt.quarter is not None:
        query = query.where(ReportingPeriod.quarter == flt.quarter)
    return flt.departments(Observation.department_id, query)


def observation_count(flt: ExportFilter) -> int:
    """How many rows the observations export of this filter holds."""
    query = select(func.count(Observation.id)).join(
        ReportingPeriod, Observation.period_id == ReportingPeriod.id
    )
    return db.session.scalar(_observations_where(flt, query)) or 0


def export_periods_query(flt: ExportFilter) -> Select[tuple[int]]:
    """The ids of the periods the filter names, in time order."""
    query = select(ReportingPeriod.id).order_by(ReportingPeriod.start_date, ReportingPeriod.id)
    if flt.fiscal_year is not None:
        query = query.where(ReportingPeriod.fiscal_year == flt.fiscal_year)
    if flt.quarter is not None:
        query = query.where(ReportingPeriod.quarter == flt.quarter)
    return query


def observations_query(flt: ExportFilter) -> Select[Any]:
    """The readable observations in a stable order within a period (department, metric,
    service, channel: byte order of their codes, the same on every database), to be
    narrowed to one period. Rows carry ids: the codes are few, and are looked up once."""
    query = (
        select(
            Observation.department_id, Observation.metric_id, Observation.period_id,
            Observation.value, Observation.n, Observation.service_id, Observation.channel_id,
            Observation.note, Observation.import_key, Observation.label,
            Observation.standard_id, Observation.month,
        )
        .join(Department, Observation.department_id == Department.id)
        .join(MetricDefinition, Observation.metric_id == MetricDefinition.id)
        .outerjoin(Service, Observation.service_id == Service.id)
        .outerjoin(Channel, Observation.channel_id == Channel.id)
        .order_by(*(_bytewise(c) for c in (Department.code, MetricDefinition.code,
                  Service.name, Channel.code, Observation.import_key)), Observation.month,
                  Observation.id)
    )  # fmt: skip
    return flt.departments(Observation.department_id, query)


def _bytewise(column: Any) -> Any:
    """The column compared byte by byte (SQLite's own order; PostgreSQL's is its locale's)."""
    return column.collate("C") if db.engine.dialect.name == "postgresql" else column


@dataclass(frozen=True)
class _Metric:
    """What an observation row shows of its metric: code, name, target, the status rule."""

    code: str
    name: str
    target: float | int | None
    rule: MetricRule


@dataclass(frozen=True)
class _Labels:
    """The codes and names an observation row shows, by id (hundreds, not rows)."""

    departments: dict[int, tuple[str, str]]
    metrics: dict[int, _Metric]
    periods: dict[int, tuple[str, date, date]]
    services: dict[int, str]
    channels: dict[int, str]
    standards: dict[int, tuple[str, float]]  # id -> code, its own target

    @classmethod
    def read(cls) -> _Labels:
        """Every department, metric, period, service and channel."""
        rows = db.session.execute
        return cls(
            {i: (code, name) for i, code, name in rows(
                select(Department.id, Department.code, Department.name))},
            {m.id: _Metric(m.code, m.name, whole(m.target), metric_rule(m))
             for m in db.session.scalars(select(MetricDefinition))},
            {i: (label, start, end) for i, label, start, end in rows(select(
                ReportingPeriod.id, ReportingPeriod.label, ReportingPeriod.start_date,
                ReportingPeriod.end_date))},
            dict(rows(select(Service.id, Service.name)).tuples().all()),
            dict(rows(select(Channel.id, Channel.code)).tuples().all()),
            {i: (code, target) for i, code, target in rows(select(
                ServiceStandard.id, ServiceStandard.code, ServiceStandard.target))},
        )  # fmt: skip

    def row(self, row: tuple[Any, ...]) -> tuple[Any, ...]:
        """An observation row (OBSERVATION_COLUMNS) with its codes and names (KeyError for
        one created since the read); numbers typed once for CSV and XLSX alike."""
        dept, metric_id, period, value, n, service, channel, note, key, text, standard, month = row
        label, start, end = self.periods[period]
        code, name = self.departments[dept]
        metric = self.metrics[metric_id]
        target, rule, standard_code = metric.target, metric.rule, None
        if standard is not None:  # judged against the standard's own target (SPEC 3)
            standard_code, own = self.standards[standard]
            target, rule = whole(own), replace(rule, target=own)
        return (
            code, name, metric.code, metric.name, label, month,
            None if service is None else self.services[service],
            None if channel is None else self.channels[channel], key, text, standard_code,
            whole(value), whole(n), target, rule.status(value), note, start, end,
        )  # fmt: skip


def observation_rows(flt: ExportFilter) -> Iterator[tuple[Any, ...]]:
    """The observation rows (OBSERVATION_COLUMNS), streamed from the database one period at
    a time, in batches (a server-side cursor on PostgreSQL): memory holds one batch, and the
    database sorts one period's rows at a time, so the first rows come at once. The queries
    are built now, under the reader's scope; they run when the rows are read."""
    return _observation_stream(export_periods_query(flt), observations_query(flt))


def _observation_stream(
    periods: Select[tuple[int]], query: Select[Any]
) -> Iterator[tuple[Any, ...]]:
    labels = _Labels.read()
    for period_id in list(db.session.scalars(periods)):
        # Core rows from the session's connection: no ORM loading for plain columns
        result = db.session.connection().execute(
            query.where(Observation.period_id == period_id), execution_options={"yield_per": 2000}
        )
        for row in result.tuples():
            try:
                yield labels.row(row)
            except KeyError:  # a department, service... added during the export
                labels = _Labels.read()
                yield labels.row(row)


def strategies_query(flt: ExportFilter) -> Select[tuple[Strategy]]:
    """Strategies active at some time in the filter's period (every one without a period)."""
    return (
        _strategies_where(flt, select(Strategy).join(Strategy.department))
        .options(
            selectinload(Strategy.drivers),
            selectinload(Strategy.metric_links).selectinload(StrategyMetric.metric),
        )
        .order_by(Department.code, Strategy.id)
    )


def strategy_count(flt: ExportFilter) -> int:
    """How many rows the strategies export of this filter holds."""
    return db.session.scalar(_strategies_where(flt, select(func.count(Strategy.id)))) or 0


def _strategies_where(flt: ExportFilter, query: Select[Any]) -> Select[Any]:
    window = flt.window()
    if window is not None:
        _, start, end = window
        query = query.where(
            (Strategy.start_date.is_(None)) | (Strategy.start_date <= end),
            (Strategy.end_date.is_(None)) | (Strategy.end_date >= start),
        )
    return flt.departments(Strategy.department_id, query)


def strategy_rows(flt: ExportFilter) -> Iterator[tuple[Any, ...]]:
    """One row per strategy, drivers and linked metrics joined with "; ". The query is
    built now, under the reader's scope; it runs when the rows are read."""
    window = flt.window()
    period = window if window is not None else ("", None, None)
    return _strategy_stream(strategies_query(flt), period)


def _strategy_stream(
    query: Select[tuple[Strategy]], period: tuple[str, date | None, date | None]
) -> Iterator[tuple[Any, ...]]:
    label, start, end = period
    for s in db.session.scalars(query):
        drivers = "; ".join(d.driver.value for d in s.drivers)
        metrics = "; ".join(
            f"{link.metric.code} ({link.expected_direction.value})" for link in s.metric_links
        )
        yield (
            s.department.code, s.id, s.title, s.status.value, s.progress, s.owner_name,
            s.problem, s.description, drivers, metrics, s.start_date, s.effective_date,
            s.end_date, label, start, end,
        )  # fmt: skip


def fiscal_years() -> list[int]:
    """Fiscal years that have a reporting period, newest first."""
    query = select(ReportingPeriod.fiscal_year).distinct().order_by(ReportingPeriod.fiscal_year)
    return sorted(db.session.scalars(query), reverse=True)


@dataclass(frozen=True)
class Dataset:
    """One exportable table: its title, columns, rows and row count for a filter."""

    title: str
    columns: tuple[str, ...]
    rows: Callable[[ExportFilter], Iterator[tuple[Any, ...]]]
    count: Callable[[ExportFilter], int]
    widths: tuple[float, ...] | None = None  # of the XLSX columns; None: by the header


DATASETS = {
    "observations": Dataset("Observations", OBSERVATION_COLUMNS, observation_rows,
                            observation_count, OBSERVATION_WIDTHS),
    "strategies": Dataset("Strategies", STRATEGY_COLUMNS, strategy_rows, strategy_count),
}  # fmt: skip


def job_by_token(token: str) -> ExportJob | None:
    """The export job of this token, if any."""
    return db.session.scalar(select(ExportJob).where(ExportJob.token == token))


def active_job_query(user_id: int, dataset: str, fmt: str) -> Select[tuple[ExportJob]]:
    """This user's unfinished jobs of a dataset and format, newest first."""
    return (
        select(ExportJob)
        .where(ExportJob.user_id == user_id, ExportJob.dataset == dataset,
               ExportJob.fmt == fmt, ExportJob.state.in_([JobState.QUEUED, JobState.RUNNING]))
        .order_by(ExportJob.id.desc())
    )  # fmt: skip


def expired_jobs_query(before: datetime) -> Select[tuple[ExportJob]]:
    """Jobs created before `before`, whose files are deleted."""
    return select(ExportJob).where(ExportJob.created_at < before)
