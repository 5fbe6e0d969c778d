"""Reds that wait for an explanation (SPEC 4.5): a department's score on a metric in a
period is red against the metric's target, and none of the observations behind that score
carries a note. The status is the department's, not each service's: a red service inside a
green department score needs no explanation, and one note on the metric explains the red.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import case, func, select

from cxprogram.extensions import db
from cxprogram.metrics.models import Direction, MetricDefinition, Observation
from cxprogram.rollup.calc import DepartmentAggregate, compute_department_score, compute_status


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
    has_n = Observation.n > 0
    query = (
        select(
            Observation.department_id, MetricDefinition,
            func.sum(case((has_n, Observation.value * Observation.n), else_=0.0)),
            func.sum(case((has_n, Observation.n), else_=0.0)),
            func.sum(Observation.value), func.count(Observation.id),
            func.max(case((Observation.note != "", 1), else_=0)),
        )
        .join(Observation.metric)
        .where(Observation.period_id == period_id, Observation.department_id.in_(ids))
        .where(MetricDefinition.target.is_not(None))
        .group_by(Observation.department_id, MetricDefinition.id)
        .order_by(Observation.department_id, MetricDefinition.id)
    )  # fmt: skip
    reds = []
    for dept, metric, wsum, wtotal, plain, count, noted in db.session.execute(query).tuples():
        aggregate = DepartmentAggregate(str(dept), float(wsum), float(wtotal), float(plain), count)
        score = compute_department_score(aggregate, metric.aggregation.value).score
        higher = metric.direction == Direction.HIGHER
        if compute_status(score, metric.target, metric.tolerance, higher) == "red":
            assert metric.target is not None
            reds.append(DepartmentRed(dept, metric.id, metric.name, score, metric.target,
                                      bool(noted)))  # fmt: skip
    return reds


def unexplained_reds(period_id: int | None, department_ids: Iterable[int]) -> list[DepartmentRed]:
    """The red department scores of the period that no note explains yet."""
    return [red for red in department_reds(period_id, department_ids) if not red.is_explained]
