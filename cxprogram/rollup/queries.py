"""Read a period's rollup inputs: its own GROUP BY and the earlier periods' cached aggregates.

The reads a rollup repeats run through Core on the session's connection, past the ORM layer
(which would cost more than some of these queries take): callers flush the session first,
as services.run_rollup does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import ColumnElement, Executable, Row, Select, bindparam, case, func, select, text
from sqlalchemy.orm import aliased, defer

from cxprogram.core.fiscal import parse_period, quarter_of
from cxprogram.core.lru import Lru
from cxprogram.extensions import db
from cxprogram.metrics.catalog import STANDARDS_MET_CODE
from cxprogram.metrics.models import (
    Direction,
    Frequency,
    MetricDefinition,
    Observation,
    ReportingPeriod,
)
from cxprogram.org.models import Department, ServiceStandard
from cxprogram.org.queries import organization_settings
from cxprogram.rollup.cache import AggregateRow, Weighing, unpack
from cxprogram.rollup.columns import FloatColumn, StandardColumns, standards_met_columns
from cxprogram.rollup.compose import (
    DepartmentColumns,
    MetricInput,
    RollupInputs,
    StrategyInput,
)
from cxprogram.rollup.models import RollupPeriodAggregates, RollupPeriodStamp, RollupSnapshot
from cxprogram.rollup.names import Names, named_codes
from cxprogram.rollup.triggers import TRIGGER_NAMES
from cxprogram.strategies.models import Strategy, StrategyMetric, StrategyStatus


def _rows(statement: Executable, **params: Any) -> Sequence[Row[Any]]:
    return db.session.connection().execute(statement, params).all()


_periods = ReportingPeriod.__table__.c
_stamps = RollupPeriodStamp.__table__.c
_aggregates = RollupPeriodAggregates.__table__.c
_departments_table = Department.__table__.c
_metric_table = MetricDefinition.__table__.c


def periods_up_to(period: ReportingPeriod) -> dict[int, str]:
    """period id -> label of every period ending no later than this one."""
    query = select(_periods.id, _periods.label).where(_periods.end_date <= period.end_date)
    return dict(_rows(query))  # type: ignore[arg-type]


def period_fingerprints(period_ids: list[int]) -> dict[int, str | None]:
    """A value per period that changes whenever one of its observations is added, edited
    or deleted: "r" and the revision the triggers keep, with "*" while the period is marked
    changed since the cache last read it (so never equal to a cached one). None for every
    period when the database lacks the triggers: nothing can then be trusted, so every
    period is aggregated again."""
    if not _has_stamp_triggers():
        return dict.fromkeys(period_ids)
    query = select(_stamps.period_id, _stamps.revision, _stamps.changed)
    stamps = {pid: (rev, changed) for pid, rev, changed in _rows(query)}
    out: dict[int, str | None] = {}
    for pid in period_ids:
        revision, changed = stamps.get(pid, (0, 0))
        out[pid] = f"r{revision}{'*' if changed else ''}"
    return out


def _has_stamp_triggers() -> bool:
    dialect = db.session.get_bind().dialect.name
    if dialect == "sqlite":
        sql = "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN :names"
    elif dialect == "postgresql":
        sql = (
            "SELECT count(*) FROM pg_trigger WHERE tgname IN :names "
            "AND tgrelid = 'observations'::regclass"
        )
    else:
        return False
    statement = text(sql).bindparams(bindparam("names", expanding=True))
    found = db.session.execute(statement, {"names": list(TRIGGER_NAMES)}).scalar_one()
    return int(found) == len(TRIGGER_NAMES)


def cached_fingerprints(period_ids: list[int]) -> dict[int, str]:
    """The fingerprint each cached period's aggregates were computed from."""
    query = select(_aggregates.period_id, _aggregates.fingerprint).where(
        _aggregates.period_id.in_(period_ids)
    )
    return dict(_rows(query))  # type: ignore[arg-type]


def metric_weighings() -> dict[int, Weighing]:
    """Each metric's aggregation and organization weighting, by id (the cache record keeps
    the organization score for these)."""
    m = MetricDefinition.__table__.c
    rows = _rows(select(m.id, m.aggregation, m.weighting))
    return {mid: (aggregation.value, weighting.value) for mid, aggregation, weighting in rows}


def aggregate_query(*extra: ColumnElement[Any]) -> Select[Any]:
    """The sums of SPEC 4.1 per metric and department of the period bound as `period_id`:
    the sums of value x n and of n over observations with n > 0, the sum of values, the count,
    then any `extra` aggregates (the reds add whether a note explains the score)."""
    table = Observation.__table__
    has_n = table.c.n > 0
    return (
        select(
            table.c.metric_id,
            table.c.department_id,
            func.coalesce(func.sum(case((has_n, table.c.value * table.c.n))), 0.0),
            func.coalesce(func.sum(case((has_n, table.c.n))), 0.0),
            func.sum(table.c.value),
            func.count(),
            *extra,
        )
        .where(table.c.period_id == bindparam("period_id"))
        .group_by(table.c.metric_id, table.c.department_id)
    )


AGGREGATE_QUERY = aggregate_query()  # built once: the rollup runs it every time


def period_aggregate_rows(period_id: int) -> list[AggregateRow]:
    """One GROUP BY over the period's observations: the sums of SPEC 4.1 per metric and
    department (weighted sums over observations with n > 0 only). Core, built once: this is
    the one query a rollup runs over observations, and the ORM layer would add a third to
    its time. The drivers already give floats for the sums and an int for the count.
    With them, standards_met's rows when the organization has that metric (SPEC 4.5)."""
    rows: list[AggregateRow] = [tuple(row) for row in _rows(AGGREGATE_QUERY, period_id=period_id)]
    return rows + standards_met_rows(period_id)


def standards_met_rows(period_id: int) -> list[AggregateRow]:
    """standards_met per department as aggregate rows of its metric: 100 x (standards met)
    as the weighted sum and the plain sum, the standards judged as the weight and the count,
    each standard's observations pooled and judged against its own target (SPEC 4.5)."""
    metric_id = _rows(select(_metric_table.id).where(_metric_table.code == STANDARDS_MET_CODE))
    if not metric_id:
        return []
    o, s, m = Observation.__table__.c, ServiceStandard.__table__.c, _metric_table
    has_n = o.n > 0
    query = (
        select(
            o.department_id,
            func.coalesce(func.sum(case((has_n, o.value * o.n))), 0.0),
            func.coalesce(func.sum(case((has_n, o.n))), 0.0),
            func.sum(o.value),
            func.count(),
            m.aggregation,
            s.target,
            m.direction,
        )  # fmt: skip
        .join(ServiceStandard.__table__, s.id == o.standard_id)
        .join(MetricDefinition.__table__, m.id == o.metric_id)
        .where(o.period_id == period_id)
        .group_by(o.department_id, o.standard_id, m.aggregation, s.target, m.direction)
    )
    found = _rows(query)
    columns = StandardColumns(
        [r[0] for r in found], [float(r[1]) for r in found], [float(r[2]) for r in found],
        [float(r[3]) for r in found], [int(r[4]) for r in found],
        [_enum_value(r[5]) for r in found], [float(r[6]) for r in found],
        [_enum_value(r[7]) == Direction.HIGHER.value for r in found],
    )  # fmt: skip
    sm = int(metric_id[0][0])
    return [(sm, dept, met, total, met, int(total)) for dept, met, total in
            standards_met_columns(columns)]  # fmt: skip


def _enum_value(value: Any) -> str:
    """A stored enum as its text (Core reads the column's type: the enum or its value)."""
    return str(getattr(value, "value", value))


def load_inputs(
    period: ReportingPeriod, labels: dict[int, str] | None = None, *, with_scores: bool = True
) -> RollupInputs:
    """Everything the rollup of this period depends on, up to and including it, from the
    cached per-period aggregates (refresh them first: services.refresh_aggregates).
    Without scores, only what its digest() covers (freshness.py: no aggregate is decoded).

    An open period's rollup leaves deactivated departments out, in every period it looks
    back on; a closed period's keeps everyone who reported then (history is kept)."""
    labels = periods_up_to(period) if labels is None else labels
    metrics, metric_codes = _metrics()
    departments, excluded = _departments(period)
    index_of = {pid: parse_period(label).index for pid, label in labels.items()}
    aggregation = {m.code: (m.aggregation, m.weighting) for m in metrics}
    if with_scores:
        digests, scores = _cached_scores(
            index_of, aggregation, metric_codes, _Decoder(departments, excluded)
        )
    else:
        digests, scores = cached_digests(index_of), {}
    excluded_codes = sorted(departments[d] for d in excluded)
    return RollupInputs(
        period=period.label,
        period_index=index_of[period.id],
        periods={index_of[pid]: label for pid, label in labels.items()},
        metrics=metrics,
        scores={m: dict(sorted(by.items())) for m, by in scores.items()},
        strategies=tuple(s for s in _strategies() if s.department not in excluded_codes),
        sources={
            "aggregates": digests,
            "metric_ids": {str(k): v for k, v in metric_codes.items()},
            "departments": {str(k): v for k, v in departments.items()},
            "excluded": excluded_codes,
        },
    )


def _cached_scores(
    index_of: dict[int, int],
    aggregation: dict[str, Weighing],
    metric_codes: dict[int, str],
    decoder: _Decoder,
) -> tuple[dict[str, str], dict[str, dict[int, DepartmentColumns]]]:
    """Each period's aggregate digest, and the department columns of every metric by period.

    A period's decoded columns are kept in this process (_DECODED) under everything they
    depend on: the database, the period, its record's digest and time, the metrics'
    codes and aggregations and the departments' codes and exclusions. The scheduler rolls
    the open period up every few minutes against dozens of unchanged earlier periods, so
    only a record that changed is fetched and decoded again."""
    context = hashlib.sha256(
        repr(
            (
                str(db.session.connection().engine.url),
                sorted(aggregation.items()),
                sorted(metric_codes.items()),
                sorted(decoder.codes.items()),
                sorted(decoder.excluded),
            )
        ).encode()
    ).hexdigest()  # hashed once: a key holding these lists would be hashed on every lookup
    states = _rows(
        select(_aggregates.period_id, _aggregates.digest, _aggregates.computed_at).where(
            _aggregates.period_id.in_(list(index_of))
        )
    )
    digests: dict[str, str] = {}
    decoded: dict[int, dict[str, DepartmentColumns]] = {}
    missing: dict[int, tuple[Any, ...]] = {}
    for pid, digest, computed_at in states:
        digests[str(index_of[pid])] = digest
        key = (pid, digest, computed_at, context)
        found = _DECODED.find(key)
        if found is None:
            missing[pid] = key
        else:
            decoded[pid] = found
    if missing:
        records = _rows(
            select(_aggregates.period_id, _aggregates.data).where(
                _aggregates.period_id.in_(list(missing))
            )
        )
        for pid, data in records:
            if pid in missing:  # a record written between the two reads waits for the next run
                decoded[pid] = _DECODED.put(
                    missing[pid], _decode(data, aggregation, metric_codes, decoder)
                )
    scores: dict[str, dict[int, DepartmentColumns]] = {}
    for pid, by_metric in decoded.items():
        for code, columns in by_metric.items():
            scores.setdefault(code, {})[index_of[pid]] = columns
    return digests, scores


def _decode(
    data: bytes, aggregation: dict[str, Weighing], metric_codes: dict[int, str], decoder: _Decoder
) -> dict[str, DepartmentColumns]:
    """One period's record as department columns per metric code (read-only arrays)."""
    out: dict[str, DepartmentColumns] = {}
    for metric_id, columns in unpack(data).items():
        code = metric_codes[metric_id]
        values, volumes = columns.scores(aggregation[code][0])
        org = columns.org_score(aggregation[code])
        found = decoder.columns(columns.department_ids, values, volumes, org)
        if found is not None:
            found.scores.flags.writeable = False
            found.volumes.flags.writeable = False
            out[code] = found
    return out


_DECODED: Lru[dict[str, DepartmentColumns]] = Lru(
    512
)  # periods' decoded columns: a few MB at 200 departments x 7 metrics


def forget_decoded() -> None:
    """Drop the decoded records this process keeps. Their key holds the record's digest and
    time, which services._upsert_aggregates (the one writer) sets with every record; only a
    record changed some other way (clear_aggregates, a test) needs this."""
    _DECODED.clear()


def cached_digests(index_of: dict[int, int]) -> dict[str, str]:
    """The digest of each cached period's aggregates, by period index (as in the inputs)."""
    query = select(_aggregates.period_id, _aggregates.digest).where(
        _aggregates.period_id.in_(list(index_of))
    )
    return {str(index_of[pid]): digest for pid, digest in _rows(query)}


def cached_aggregate_states(period_ids: list[int]) -> dict[int, tuple[str, datetime]]:
    """The fingerprint each cached period's aggregates were computed from, and when."""
    query = select(_aggregates.period_id, _aggregates.fingerprint, _aggregates.computed_at).where(
        _aggregates.period_id.in_(period_ids)
    )
    return {pid: (fingerprint, at) for pid, fingerprint, at in _rows(query)}


def _departments(period: ReportingPeriod) -> tuple[dict[int, str], set[int]]:
    """Every department's code by id, and the ids this period's rollup leaves out."""
    query = select(_departments_table.id, _departments_table.code, _departments_table.is_active)
    departments, excluded = {}, set()
    for dept_id, code, active in _rows(query):
        departments[dept_id] = code
        if not active and not period.is_closed:
            excluded.add(dept_id)
    return departments, excluded


class _Decoder:
    """Department ids to codes, with the columns put in code order and excluded departments
    left out; the order is worked out once per distinct id column (mostly one for all)."""

    def __init__(self, codes: dict[int, str], excluded: set[int]) -> None:
        self.codes, self.excluded = codes, excluded
        self.memo: dict[bytes, tuple[tuple[str, ...], npt.NDArray[np.intp] | None]] = {}

    def columns(
        self,
        ids: npt.NDArray[np.int64],
        values: FloatColumn,
        volumes: FloatColumn,
        org: float | None = None,
    ) -> DepartmentColumns | None:
        """The department codes with their scores and volumes (and the organization score
        of all of them, kept only when none is left out); None when none is left."""
        key = ids.tobytes()
        found = self.memo.get(key)
        if found is None:
            kept = sorted(
                (self.codes[i], k) for k, i in enumerate(ids.tolist()) if i not in self.excluded
            )
            positions = [k for _, k in kept]
            found = self.memo[key] = (
                tuple(code for code, _ in kept),
                None if positions == list(range(len(ids))) else np.array(positions, dtype=np.intp),
            )
        departments, order = found
        if not departments:
            return None
        org = org if len(departments) == len(ids) else None
        if order is None:
            return DepartmentColumns(departments, values, volumes, org)
        return DepartmentColumns(departments, values[order], volumes[order], org)


def _metrics() -> tuple[tuple[MetricInput, ...], dict[int, str]]:
    m = MetricDefinition.__table__.c
    query = select(
        m.id, m.code, m.aggregation, m.weighting, m.target, m.tolerance, m.direction,
        m.owner_department_id, m.frequency,
    ).order_by(m.code)  # fmt: skip
    rows = _rows(query)
    inputs = tuple(
        MetricInput(
            code=code,
            aggregation=aggregation.value,
            weighting=weighting.value,
            target=target,
            tolerance=tolerance,
            higher_is_better=direction == Direction.HIGHER,
            is_standard=owner is None,  # as MetricDefinition.is_standard
            frequency=Frequency(frequency).value,
        )
        for _, code, aggregation, weighting, target, tolerance, direction, owner, frequency in rows
    )
    return inputs, {row.id: row.code for row in rows}


def _strategies() -> tuple[StrategyInput, ...]:
    start_month = organization_settings().fiscal_year_start_month
    query = (
        select(Strategy.id, Department.code, Strategy.effective_date, MetricDefinition.code)
        .join(Strategy.department)
        .join(StrategyMetric, StrategyMetric.strategy_id == Strategy.id)
        .join(MetricDefinition, MetricDefinition.id == StrategyMetric.metric_id)
        .where(Strategy.effective_date.is_not(None), Strategy.status != StrategyStatus.CANCELLED)
        .order_by(Strategy.id, MetricDefinition.code)
    )
    found: dict[int, tuple[str, date, list[str]]] = {}
    for sid, dept, effective, metric in _rows(query):
        if effective is None:
            continue
        found.setdefault(sid, (dept, effective, []))[2].append(metric)
    out = []
    for sid, (dept, effective, metrics) in found.items():
        quarter = quarter_of(effective, start_month)
        out.append(StrategyInput(sid, dept, quarter.label, quarter.index, tuple(metrics)))
    return tuple(out)


def latest_snapshot(period_id: int, with_result: bool = True) -> RollupSnapshot | None:
    """The newest snapshot of a period, or None (its result loaded later when not asked)."""
    query = (
        select(RollupSnapshot)
        .where(RollupSnapshot.period_id == period_id)
        .order_by(RollupSnapshot.version.desc())
        .limit(1)
    )
    if not with_result:
        query = query.options(defer(RollupSnapshot.result))
    return db.session.scalar(query)


def latest_input_write(period_ids: list[int], after: datetime) -> datetime | None:
    """The latest time after `after` at which an observation of these periods or a strategy
    was written (rows that carry a time; deletes and metric settings leave none)."""
    times = [
        db.session.scalar(
            select(func.max(Observation.updated_at)).where(
                Observation.period_id.in_(period_ids), Observation.updated_at > after
            )
        )
        if period_ids
        else None,
        db.session.scalar(select(func.max(Strategy.updated_at)).where(Strategy.updated_at > after)),
    ]
    found = [t for t in times if t is not None]
    return max(found) if found else None


def rollup_snapshot(label: str | None) -> RollupSnapshot | None:
    """The newest snapshot of the period with this label, or of the latest period that has
    one when label is None ("latest")."""
    query = select(RollupSnapshot).join(
        ReportingPeriod, ReportingPeriod.id == RollupSnapshot.period_id
    )
    if label is not None:
        query = query.where(ReportingPeriod.label == label)
    query = query.order_by(ReportingPeriod.end_date.desc(), RollupSnapshot.version.desc())
    return db.session.scalar(query.limit(1))


def document_names(document: dict[str, Any]) -> Names:
    """The names, units and titles of the departments, metrics and strategies named."""
    parent = aliased(Department)
    departments = _rows(
        select(Department.code, Department.name, parent.code, Department.short_name)
        .outerjoin(parent, parent.id == Department.parent_id)
        .where(Department.code.in_(sorted(named_codes(document))))
    )
    m = MetricDefinition.__table__.c
    metrics = _rows(select(m.code, m.name, m.unit).where(m.code.in_(sorted(document["metrics"]))))
    ids = sorted({e["strategy_id"] for e in document["strategy_effects"]})
    titles = _rows(select(Strategy.id, Strategy.title).where(Strategy.id.in_(ids)))
    return Names(
        departments={code: (name, parent_code) for code, name, parent_code, _ in departments},
        metrics={
            code: (name, unit.value if unit is not None else None) for code, name, unit in metrics
        },
        strategies=dict(titles),  # type: ignore[arg-type]
        short_names={code: short for code, _, _, short in departments if short},
    )
