"""Load a period's rollup inputs with a few aggregate queries (the database groups)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import case, func, select

from cxprogram.core.fiscal import parse_period, quarter_of
from cxprogram.extensions import db
from cxprogram.metrics.models import Direction, MetricDefinition, Observation, ReportingPeriod
from cxprogram.org.models import Department, OrgSettings
from cxprogram.rollup.calc import DepartmentAggregate
from cxprogram.rollup.compose import MetricInput, RollupInputs, StrategyInput
from cxprogram.rollup.models import RollupSnapshot
from cxprogram.strategies.models import Strategy, StrategyMetric, StrategyStatus


def load_inputs(period: ReportingPeriod) -> RollupInputs:
    """Everything the rollup of this period depends on, up to and including it."""
    index = parse_period(period.label).index
    periods = {
        parse_period(label).index: label
        for label in db.session.scalars(
            select(ReportingPeriod.label).where(ReportingPeriod.end_date <= period.end_date)
        )
    }
    return RollupInputs(
        period=period.label,
        period_index=index,
        periods=periods,
        metrics=_metrics(),
        aggregates=_aggregates(period),
        strategies=_strategies(),
    )


def _metrics() -> tuple[MetricInput, ...]:
    rows = db.session.scalars(select(MetricDefinition).order_by(MetricDefinition.code))
    return tuple(
        MetricInput(
            code=m.code,
            aggregation=m.aggregation.value,
            weighting=m.weighting.value,
            target=m.target,
            tolerance=m.tolerance,
            higher_is_better=m.direction == Direction.HIGHER,
            is_standard=m.is_standard,
        )  # fmt: skip
        for m in rows
    )


def _aggregates(
    period: ReportingPeriod,
) -> dict[str, dict[int, tuple[DepartmentAggregate, ...]]]:
    """One GROUP BY over observations alone (ids only); codes are mapped in Python."""
    period_index = {
        pid: parse_period(label).index
        for pid, label in db.session.execute(
            select(ReportingPeriod.id, ReportingPeriod.label).where(
                ReportingPeriod.end_date <= period.end_date
            )
        ).tuples()
    }
    metric_codes = dict(
        db.session.execute(select(MetricDefinition.id, MetricDefinition.code)).tuples().all()
    )
    active = select(Department.id, Department.code).where(Department.is_active.is_(True))
    dept_codes = dict(db.session.execute(active).tuples().all())
    has_n = Observation.n > 0
    query = (
        select(
            Observation.metric_id,
            Observation.period_id,
            Observation.department_id,
            func.coalesce(func.sum(case((has_n, Observation.value * Observation.n))), 0.0),
            func.coalesce(func.sum(case((has_n, Observation.n))), 0.0),
            func.sum(Observation.value),
            func.count(),
        )
        .where(Observation.period_id.in_(list(period_index)))
        .group_by(Observation.metric_id, Observation.period_id, Observation.department_id)
    )
    grouped: dict[str, dict[int, list[DepartmentAggregate]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for metric_id, period_id, dept_id, wsum, wtotal, psum, count in db.session.execute(
        query
    ).tuples():
        code = dept_codes.get(dept_id)
        if code is None:
            continue  # deactivated departments drop out of rollups
        aggregate = DepartmentAggregate(code, float(wsum), float(wtotal), float(psum), int(count))
        grouped[metric_codes[metric_id]][period_index[period_id]].append(aggregate)
    return {
        m: {i: tuple(sorted(aggs, key=lambda a: a.department)) for i, aggs in sorted(by.items())}
        for m, by in sorted(grouped.items())
    }


def _strategies() -> tuple[StrategyInput, ...]:
    org = db.session.scalar(select(OrgSettings).limit(1))
    start_month = org.fiscal_year_start_month if org else 10
    query = (
        select(Strategy.id, Department.code, Strategy.effective_date, MetricDefinition.code)
        .join(Strategy.department)
        .join(StrategyMetric, StrategyMetric.strategy_id == Strategy.id)
        .join(MetricDefinition, MetricDefinition.id == StrategyMetric.metric_id)
        .where(Strategy.effective_date.is_not(None), Strategy.status != StrategyStatus.CANCELLED)
        .order_by(Strategy.id, MetricDefinition.code)
    )
    found: dict[int, tuple[str, date, list[str]]] = {}
    for sid, dept, effective, metric in db.session.execute(query).tuples():
        if effective is None:
            continue
        found.setdefault(sid, (dept, effective, []))[2].append(metric)
    out = []
    for sid, (dept, effective, metrics) in found.items():
        quarter = quarter_of(effective, start_month)
        out.append(StrategyInput(sid, dept, quarter.label, quarter.index, tuple(metrics)))
    return tuple(out)


def latest_snapshot(period_id: int) -> RollupSnapshot | None:
    """The newest snapshot of a period, or None."""
    return db.session.scalar(
        select(RollupSnapshot)
        .where(RollupSnapshot.period_id == period_id)
        .order_by(RollupSnapshot.version.desc())
        .limit(1)
    )
