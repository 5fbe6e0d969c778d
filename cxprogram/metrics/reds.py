"""Reds that wait for an explanation (SPEC 4.5): a department's score on a metric in a
period is red against the metric's target, and none of the observations behind that score
carries a note. The status is the department's, not each service's: a red service inside a
green department score needs no explanation, and one note on the metric explains the red.
The scores come from the rollup's own SPEC 4.1 query (rollup/queries.aggregate_query).
Observations that name a service standard are pooled per standard and judged against the
standard's own target (SPEC 3, 4.5); the others against the metric's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import case, func, select

from cxprogram.extensions import db
from cxprogram.metrics.models import Direction, MetricDefinition, Observation
from cxprogram.org.models import ServiceStandard
from cxprogram.rollup.calc import DepartmentAggregate, compute_department_score, compute_status
from cxprogram.rollup.queries import aggregate_query


@dataclass(frozen=True)
class DepartmentRed:
    """A department's red score on one metric in one period, with or without a note."""

    department_id: int
    metric_id: int
    metric: str
    score: float
    target: float
    is_explained: bool
    standard_id: int | None = None
    standard: str = ""  # its code


def department_reds(period_id: int | None, department_ids: Iterable[int]) -> list[DepartmentRed]:
    """Every red department score of the period, explained or not, by department and metric."""
    ids = list(department_ids)
    if period_id is None or not ids:
        return []
    o = Observation.__table__.c
    noted = func.max(case((o.note != "", 1), else_=0))
    query = (
        aggregate_query(noted, o.standard_id)
        .where(o.department_id.in_(ids))
        .group_by(o.standard_id)
        .order_by(o.department_id, o.metric_id, o.standard_id)
    )
    rows = db.session.execute(query, {"period_id": period_id}).all()
    standards = _standards({row[7] for row in rows if row[7] is not None})
    metrics = _metrics({row[0] for row in rows})
    reds = []
    for metric_id, dept, wsum, wtotal, plain, count, noted_, standard_id in rows:
        metric, standard = metrics[metric_id], standards.get(standard_id)
        target = standard.target if standard is not None else metric.target
        if target is None:
            continue
        aggregate = DepartmentAggregate(str(dept), float(wsum), float(wtotal), float(plain), count)
        score = compute_department_score(aggregate, metric.aggregation.value).score
        higher = metric.direction == Direction.HIGHER
        if compute_status(score, target, metric.tolerance, higher) == "red":
            name = f"{metric.name} (standard {standard.code})" if standard else metric.name
            reds.append(DepartmentRed(dept, metric.id, name, score, target, bool(noted_),
                                      standard_id, standard.code if standard else ""))  # fmt: skip
    return reds


def _standards(standard_ids: set[int]) -> dict[int, ServiceStandard]:
    if not standard_ids:
        return {}
    query = select(ServiceStandard).where(ServiceStandard.id.in_(standard_ids))
    return {s.id: s for s in db.session.scalars(query)}


def _metrics(metric_ids: set[int]) -> dict[int, MetricDefinition]:
    query = select(MetricDefinition).where(MetricDefinition.id.in_(metric_ids))
    return {m.id: m for m in db.session.scalars(query)}


def unexplained_reds(period_id: int | None, department_ids: Iterable[int]) -> list[DepartmentRed]:
    """The red department scores of the period that no note explains yet."""
    return [red for red in department_reds(period_id, department_ids) if not red.is_explained]
