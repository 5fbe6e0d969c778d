"""Reads over observations, grouped in the database."""

from __future__ import annotations

from sqlalchemy import Select, case, func, select

from cxprogram.metrics.models import MetricDefinition, Observation, ReportingPeriod
from cxprogram.org.models import Department


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
