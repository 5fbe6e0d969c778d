"""Writes of service standards (SPEC 3): create, edit, retire. Flush, never commit.

The pages under a service, the `cxprogram import standards` command and any later caller
hand plain data here, so a standard's rules are checked in one place: a code unique in the
organization (up to 40 characters, no control characters), a metric, a target within the
metric's scale, an optional channel the service is offered through. A standard is never
deleted, only retired. The first standard brings the derived metric standards_met (SPEC 4.5)
into the catalog; a change of target or metric makes the rollup aggregate again the periods
whose observations name the standard (their standards_met may change).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select

from cxprogram.admin.calc import retired_reason
from cxprogram.auth.models import User
from cxprogram.core import audit
from cxprogram.extensions import db
from cxprogram.metrics.catalog import DERIVED_CODES, SERVICE_STANDARD_METRICS, WITHIN_STANDARD
from cxprogram.metrics.display import describe_scale
from cxprogram.metrics.models import MetricDefinition, Observation
from cxprogram.metrics.services import ensure_metric
from cxprogram.org.models import STANDARD_CODE_LENGTH, Channel, Service, ServiceStandard
from cxprogram.org.services import EditConflict
from cxprogram.rollup.models import RollupPeriodAggregates

CODE_RULE = (
    f"up to {STANDARD_CODE_LENGTH} characters: letters, digits, hyphens, underscores, dots "
    "and slashes"
)
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")

__all__ = ["EditConflict", "StandardError", "StandardData", "CODE_RULE"]


class StandardError(ValueError):
    """A standard cannot be saved as given: which field, and why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class StandardData:
    """A standard as a person or a file gave it (the channel and metric by id)."""

    code: str
    text: str
    metric: str  # its code
    target: float | None
    channel_id: int | None = None


@dataclass(frozen=True)
class PromiseMetric:
    """A metric a standard may promise on, stored or (within_standard before the first
    standard) still only in the catalog."""

    code: str
    name: str
    scale_min: float | None
    scale_max: float | None
    scale_text: str
    owner_department_id: int | None


def promise_metrics() -> dict[str, PromiseMetric]:
    """Every metric a standard may promise on, by code: the stored ones but the derived,
    and within_standard (written with the first standard). Reads only."""
    found = {
        m.code: PromiseMetric(m.code, m.name, m.scale_min, m.scale_max, m.scale_text,
                              m.owner_department_id)
        for m in db.session.scalars(select(MetricDefinition))
        if m.code not in DERIVED_CODES
    }  # fmt: skip
    if WITHIN_STANDARD.code not in found:
        low, high = WITHIN_STANDARD.scale or (None, None)
        found[WITHIN_STANDARD.code] = PromiseMetric(
            WITHIN_STANDARD.code, WITHIN_STANDARD.name, low, high,
            describe_scale(low, high, WITHIN_STANDARD.unit.value), None,
        )  # fmt: skip
    return found


def standard_state(standard: ServiceStandard) -> dict[str, Any]:
    """What the history records of a standard."""
    return {
        "code": standard.code,
        "service": standard.service.name if standard.service else None,
        "text": standard.text,
        "metric": standard.metric.code if standard.metric else None,
        "target": standard.target,
        "channel": standard.channel.code if standard.channel else None,
        "is_retired": standard.is_retired,
    }


def create_standard(service: Service, data: StandardData, actor: User | None) -> ServiceStandard:
    """Add a standard to a service (and within_standard and standards_met to the catalog,
    once)."""
    for spec in SERVICE_STANDARD_METRICS:
        ensure_metric(spec)
    standard = ServiceStandard(service=service, code=checked_code(data.code, None))
    _fill(standard, service, data)
    db.session.add(standard)
    db.session.flush()
    audit.record("create", "service_standard", standard.id, actor=actor,
                 after=standard_state(standard), department_id=service.department_id)  # fmt: skip
    return standard


def update_standard(
    standard: ServiceStandard, data: StandardData, version: int | None, actor: User | None
) -> bool:
    """Change a standard's code, text, metric, target or channel; refused when stale (a
    version of None skips the check: the import reads the row it writes). True when
    anything changed."""
    if version is not None and version != standard.version:
        raise EditConflict
    before = standard_state(standard)
    standard.code = checked_code(data.code, standard)
    _fill(standard, standard.service, data)
    after = standard_state(standard)
    if after == before:
        return False
    if (after["metric"], after["target"]) != (before["metric"], before["target"]):
        _forget_aggregates(standard.id)
    db.session.flush()
    audit.record("update", "service_standard", standard.id, actor=actor, before=before,
                 after=after, department_id=standard.service.department_id)  # fmt: skip
    return True


def set_standard_retired(
    standard: ServiceStandard, retired: bool, version: int, actor: User | None
) -> None:
    """Retire a standard (its observations are kept and still judged) or bring it back."""
    if version != standard.version:
        raise EditConflict
    if standard.is_retired == retired:
        return
    before = standard_state(standard)
    standard.is_retired = retired
    db.session.flush()
    audit.record("retire" if retired else "reinstate", "service_standard", standard.id,
                 actor=actor, before=before, after=standard_state(standard),
                 department_id=standard.service.department_id)  # fmt: skip


def code_problem(code: str) -> str | None:
    """Why a (trimmed) standard code breaks the rule, or None when it keeps it."""
    if not code:
        return "a code is required"
    if len(code) > STANDARD_CODE_LENGTH or not _CODE.fullmatch(code):
        return f"'{code}' is not a standard code: {CODE_RULE}"
    return None


def checked_code(raw: str, standard: ServiceStandard | None) -> str:
    """The code as stored: trimmed, within the rule, unique in the organization (the case
    of letters does not make two codes different)."""
    code = raw.strip()
    problem = code_problem(code)
    if problem is not None:
        raise StandardError("code", problem)
    query = select(ServiceStandard).where(func.lower(ServiceStandard.code) == code.lower())
    clash = db.session.scalar(query)
    if clash is not None and clash is not standard:
        raise StandardError("code", f"the code {clash.code} is already a standard's")
    return code


def _fill(standard: ServiceStandard, service: Service, data: StandardData) -> None:
    target, channel = checked_promise(service, data, promise_metrics(), standard.channel)
    standard.metric = db.session.scalars(
        select(MetricDefinition).where(MetricDefinition.code == data.metric)
    ).one()
    standard.target, standard.channel = target, channel
    standard.text = clean_text(data.text)


def clean_text(text: str) -> str:
    """A standard's text as stored: one line, single spaces."""
    return " ".join(text.split())[:2000]


def checked_promise(
    service: Service,
    data: StandardData,
    metrics: dict[str, PromiseMetric],
    had: Channel | None = None,
) -> tuple[float, Channel | None]:
    """The target and channel a standard of this service may have on its metric (writes
    nothing); StandardError on the first that may not be. A retired channel stays on a
    standard that had it (`had`) and is refused on any other."""
    metric = metrics.get(data.metric)
    if metric is None:
        raise StandardError("metric", "choose the metric the standard promises on")
    if metric.owner_department_id not in (None, service.department_id):
        raise StandardError("metric", f"{metric.name} is another department's own metric")
    return _target(metric, data.target), _channel(service, data.channel_id, had)


def _target(metric: PromiseMetric, target: float | None) -> float:
    if target is None or not math.isfinite(target):
        raise StandardError("target", "a target is required (a number)")
    low, high = metric.scale_min, metric.scale_max
    if (low is not None and target < low) or (high is not None and target > high):
        raise StandardError("target", f"{target:g} is outside the metric's scale "
                                      f"({metric.scale_text})")  # fmt: skip
    return target


def _channel(service: Service, channel_id: int | None, had: Channel | None) -> Channel | None:
    if channel_id is None:
        return None
    channel = db.session.get(Channel, channel_id)
    if channel is None:
        raise StandardError("channel", "unknown channel")
    if channel.is_retired and channel is not had:
        raise StandardError("channel", retired_reason("channel", channel.name))
    if service.channels and channel not in service.channels:
        raise StandardError("channel", f"{service.name} is not offered through {channel.name}: "
                                       "add the channel to the service first")  # fmt: skip
    return channel


def _forget_aggregates(standard_id: int) -> None:
    """The cached aggregates of every period whose observations name the standard: its
    judgement changed, which the observations' triggers do not see."""
    periods = select(Observation.period_id).where(Observation.standard_id == standard_id)
    db.session.execute(
        delete(RollupPeriodAggregates).where(RollupPeriodAggregates.period_id.in_(periods))
    )
