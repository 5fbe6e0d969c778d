"""Reds that wait for an explanation (SPEC 4.5): a department's score on a metric in a
period is red against the metric's target, and none of the observations behind that score
carries a note. The status is the department's, not each service's: a red service inside a
green department score needs no explanation, and one note on the metric explains the red.
The scores come from the rollup's own SPEC 4.1 query (rollup/queries.aggregate_query).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import case, func, select

from cxprogram.extensions import db
from cxprogram.metrics.models import Direction, MetricDefinition, Observation
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


def department_reds(period_id: int | None, department_ids: Iterable[int]) -> list[DepartmentRed]:
    """Every red department score of the period, explained or not, by department and metric."""
    ids = list(department_ids)
    if period_id is None or not ids:
        return []
    o = Observation.__table__.c
    noted = func.max(case((o.note != "", 1), else_=0))
    query = (
        aggregate_query(noted)
        .where(o.department_id.in_(ids))
        .order_by(o.department_id, o.metric_id)
    )
    rows = db.session.execute(query, {"period_id": period_id}).all()
    metrics = _targeted({row[0] for row in rows})
    reds = []
    for metric_id, dept, wsum, wtotal, plain, count, noted_ in rows:
        metric = metrics.get(metric_id)
        if metric is None or metric.target is None:
            continue
        aggregate = DepartmentAggregate(str(dept), float(wsum), float(wtotal), float(plain), count)
        score = compute_department_score(aggregate, metric.aggregation.value).score
        higher = metric.direction == Direction.HIGHER
        if compute_status(score, metric.target, metric.tolerance, higher) == "red":
            reds.append(DepartmentRed(dept, metric.id, metric.name, score, metric.target,
                                      bool(noted_)))  # fmt: skip
    return reds


def _targeted(metric_ids: set[int]) -> dict[int, MetricDefinition]:
    """The metrics with a target among these (only they can be red)."""
    query = select(MetricDefinition).where(
        MetricDefinition.id.in_(metric_ids), MetricDefinition.target.is_not(None)
    )
    return {m.id: m for m in db.session.scalars(query)}


def unexplained_reds(period_id: int | None, department_ids: Iterable[int]) -> list[DepartmentRed]:
    """The red department scores of the period that no note explains yet."""
    return [red for red in department_reds(period_id, department_ids) if not red.is_explained]
