"""Writes for the catalog, vocabularies and periods. Flushes, never commits."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import func, select

from cxprogram.auth.models import User
from cxprogram.core import audit
from cxprogram.core.fiscal import FiscalQuarter, PeriodLabelError, parse_value_period
from cxprogram.core.models import utcnow
from cxprogram.extensions import db
from cxprogram.metrics.catalog import CHANNELS, JOURNEY_STAGES, STANDARD_METRICS, MetricSpec
from cxprogram.metrics.models import MetricDefinition, Observation, PeriodState, ReportingPeriod
from cxprogram.metrics.queries import metric_by_code, period_by_label
from cxprogram.org.models import Channel, Department, JourneyStage
from cxprogram.org.queries import organization_settings


def ensure_vocabularies() -> None:
    """Create the standard channels and journey stages that are missing."""
    have = set(db.session.scalars(select(Channel.code)))
    db.session.add_all(Channel(code=c, name=n) for c, n in CHANNELS if c not in have)
    have = set(db.session.scalars(select(JourneyStage.code)))
    db.session.add_all(
        JourneyStage(code=c, name=n, position=i)
        for i, (c, n) in enumerate(JOURNEY_STAGES)
        if c not in have
    )
    db.session.flush()


def ensure_metric(spec: MetricSpec) -> tuple[MetricDefinition, bool]:
    """The metric with this code, created from the spec when missing; (metric, created)."""
    metric = metric_by_code(spec.code)
    if metric is not None:
        return metric, False
    metric = MetricDefinition(
        code=spec.code,
        name=spec.name,
        description=spec.description,
        kind=spec.kind,
        unit=spec.unit,
        direction=spec.direction,
        aggregation=spec.aggregation,
        weighting=spec.weighting,
        target=spec.target,
        tolerance=spec.tolerance,
        scale_min=spec.scale[0] if spec.scale else None,
        scale_max=spec.scale[1] if spec.scale else None,
        driver=spec.driver,
        decimals=spec.decimals,
        n_counts=spec.n_counts,
        frequency=spec.frequency,
    )
    db.session.add(metric)
    db.session.flush()
    return metric, True


def ensure_standard_metrics() -> list[MetricDefinition]:
    """Every metric of the standard catalog, created where missing."""
    return [ensure_metric(spec)[0] for spec in STANDARD_METRICS]


def ensure_period(quarter: FiscalQuarter, start_month: int) -> tuple[ReportingPeriod, bool]:
    """The reporting period of a fiscal quarter, created (open) when missing."""
    period = period_by_label(quarter.label)
    if period is not None:
        return period, False
    period = ReportingPeriod(
        label=quarter.label,
        fiscal_year=quarter.year,
        quarter=quarter.quarter,
        start_date=quarter.start(start_month),
        end_date=quarter.end(start_month),
    )
    db.session.add(period)
    db.session.flush()
    return period, True


class PeriodClosedError(Exception):
    """A write was attempted on a closed (locked) reporting period."""

    def __init__(self, period: ReportingPeriod) -> None:
        super().__init__(
            f"{period.label} is closed: its values and plans are locked until a chief reopens it."
        )
        self.period = period


def require_open(period: ReportingPeriod) -> None:
    """Raise PeriodClosedError unless the period is open (call before any write to it)."""
    if period.is_closed:
        raise PeriodClosedError(period)


def period_state(period: ReportingPeriod) -> dict[str, object]:
    """A period's lock state as plain data, for audit events."""
    return {
        "state": period.state.value,
        "closed_at": period.closed_at.isoformat() if period.closed_at else None,
    }


def close_period(period: ReportingPeriod, actor: User, reason: str = "") -> bool:
    """Close (lock) a period; False when it was already closed. Audited with the reason."""
    if period.is_closed:
        return False
    before = period_state(period)
    period.state = PeriodState.CLOSED
    period.closed_at = utcnow()
    db.session.flush()
    audit.record(
        "close", "period", period.label, actor=actor, before=before,
        after=period_state(period), period_label=period.label, reason=reason.strip() or None,
    )  # fmt: skip
    return True


def reopen_period(period: ReportingPeriod, actor: User, reason: str) -> bool:
    """Reopen a closed period; a reason is required. False when it was already open."""
    if not reason.strip():
        raise ValueError("a reason is required to reopen a period")
    if not period.is_closed:
        return False
    before = period_state(period)
    period.state = PeriodState.OPEN
    period.closed_at = None
    db.session.flush()
    audit.record(
        "reopen", "period", period.label, actor=actor, before=before,
        after=period_state(period), period_label=period.label, reason=reason.strip(),
    )  # fmt: skip
    return True


class MetricConflict(Exception):
    """Someone else saved the metric after this person opened it."""


class FrequencyRefused(Exception):
    """Stored values of the metric would not fit the frequency asked for."""


def require_values_fit(metric: MetricDefinition, frequency: str) -> None:
    """Refuse a frequency its stored values do not fit (a monthly metric's values carry a
    month, an annual metric's sit in the year's last quarter), judged by the rule every
    write follows (core/fiscal.parse_value_period) on each distinct period and month."""
    if frequency == metric.frequency:
        return
    query = (
        select(ReportingPeriod.label, Observation.month, func.count(Observation.id))
        .join(Observation.period)
        .where(Observation.metric_id == metric.id)
        .group_by(ReportingPeriod.label, Observation.month)
    )
    misfits, start_month = 0, organization_settings().fiscal_year_start_month
    for label, month, count in db.session.execute(query).tuples():
        try:
            parse_value_period(label, month, frequency, start_month)
        except PeriodLabelError:
            misfits += count
    if misfits:
        raise FrequencyRefused(
            f"{misfits} stored value{'s' if misfits != 1 else ''} of {metric.code} would not "
            f"fit a {frequency} metric (a monthly value carries its month, an annual one sits "
            "in the year's last quarter); the frequency stays until they fit"
        )


METRIC_FIELDS = (
    "name", "description", "kind", "unit", "direction", "aggregation", "weighting",
    "target", "tolerance", "driver", "scale_min", "scale_max", "decimals", "n_counts",
    "frequency",
)  # fmt: skip


def metric_state(metric: MetricDefinition) -> dict[str, object]:
    """A metric definition as plain data, for audit events and conflict pages."""
    state: dict[str, object] = {"code": metric.code}
    for name in METRIC_FIELDS:
        value = getattr(metric, name)
        state[name] = value.value if isinstance(value, enum.Enum) else value
    state["owner"] = metric.owner_department.code if metric.owner_department else None
    state["version"] = metric.version
    return state


def _apply(metric: MetricDefinition, data: dict[str, Any]) -> None:
    for name in METRIC_FIELDS:
        if name in data:
            setattr(metric, name, data[name])


def create_metric(
    code: str, owner: Department | None, data: dict[str, Any], actor: User
) -> MetricDefinition:
    """Add a metric to the catalog (standard when owner is None), audited."""
    metric = MetricDefinition(code=code, owner_department=owner)
    _apply(metric, data)
    db.session.add(metric)
    db.session.flush()
    audit.record(
        "create", "metric", metric.code, actor=actor, after=metric_state(metric),
        department_id=owner.id if owner else None,
    )  # fmt: skip
    return metric


def update_metric(
    metric: MetricDefinition, data: dict[str, Any], version: int, actor: User
) -> None:
    """Change a metric's definition; refuse when it changed since the person opened it."""
    if version != metric.version:
        raise MetricConflict
    if "frequency" in data:
        require_values_fit(metric, data["frequency"])
    before = metric_state(metric)
    _apply(metric, data)
    db.session.flush()
    audit.record(
        "update", "metric", metric.code, actor=actor, before=before,
        after=metric_state(metric), department_id=metric.owner_department_id,
    )  # fmt: skip
