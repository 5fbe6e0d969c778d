"""Writes on strategies, their milestones and progress updates. Flushes, never commits.

Every write checks the strategy version the person started from (no lost updates) and
bumps it, and records one audit event on the strategy, so its history reads like a log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from cxprogram.auth.models import User
from cxprogram.core import audit
from cxprogram.core.models import utcnow
from cxprogram.extensions import db
from cxprogram.metrics.models import Direction, Driver, MetricDefinition, ReportingPeriod
from cxprogram.org.models import Department
from cxprogram.strategies.models import (
    Milestone,
    Strategy,
    StrategyDriver,
    StrategyMetric,
    StrategyStatus,
    StrategyTouchpoint,
    StrategyUpdate,
)


@dataclass(frozen=True)
class StrategyData:
    """A strategy's fields as a person typed them."""

    title: str
    problem: str = ""
    description: str = ""
    owner_name: str = ""
    status: StrategyStatus = StrategyStatus.NOT_STARTED
    progress: int = 0
    start_date: date | None = None
    effective_date: date | None = None
    end_date: date | None = None
    drivers: tuple[Driver, ...] = ()
    touchpoints: tuple[tuple[int, int], ...] = ()  # (channel id, journey stage id)
    metric_links: tuple[tuple[int, Direction], ...] = ()  # (metric id, expected direction)


@dataclass(frozen=True)
class UpdateData:
    """A dated progress note on a reporting period, optionally moving the strategy's status
    and progress."""

    commentary: str
    status: StrategyStatus | None = None
    progress: int | None = None
    period: ReportingPeriod | None = None


COMMENTARY_LIMIT = 10_000  # characters of a progress update (the form's limit too)


class EditConflict(Exception):
    """Someone else saved the strategy after this person opened it."""


class StrategyInvalid(Exception):
    """Input that breaks a rule; errors maps a field name to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(m for ms in errors.values() for m in ms))
        self.errors = errors


def strategy_state(s: Strategy) -> dict[str, Any]:
    """A strategy as plain data, for audit events and conflict pages."""
    return {
        "title": s.title, "problem": s.problem, "description": s.description,
        "owner": s.owner_name, "status": s.status.value, "progress": s.progress,
        "start_date": _iso(s.start_date), "effective_date": _iso(s.effective_date),
        "end_date": _iso(s.end_date),
        "drivers": sorted(d.driver.value for d in s.drivers),
        "touchpoints": sorted(f"{t.channel.name} at {t.stage.name}" for t in s.touchpoints),
        "metrics": {m.metric.code: m.expected_direction.value for m in s.metric_links},
        "version": s.version,
    }  # fmt: skip


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def validate_strategy(data: StrategyData, department: Department) -> dict[str, list[str]]:
    """Every broken rule of a strategy's fields, by field name (empty when valid)."""
    errors: dict[str, list[str]] = {}
    if not data.title.strip():
        errors.setdefault("title", []).append("Enter a title.")
    if not 0 <= data.progress <= 100:
        errors.setdefault("progress", []).append("Progress must be a whole number from 0 to 100.")
    if data.start_date and data.end_date and data.end_date < data.start_date:
        errors.setdefault("end_date", []).append("The end date must not be before the start date.")
    if data.start_date and data.effective_date and data.effective_date < data.start_date:
        errors.setdefault("effective_date", []).append(
            "The effective date must not be before the start date."
        )
    if data.end_date and data.effective_date and data.effective_date > data.end_date:
        errors.setdefault("effective_date", []).append(
            "The effective date must not be after the end date."
        )
    metric_errors = _metric_errors([m for m, _ in data.metric_links], department)
    if metric_errors:
        errors["metrics"] = metric_errors
    return errors


def _metric_errors(metric_ids: list[int], department: Department) -> list[str]:
    found = {
        m.id: m
        for m in db.session.scalars(
            select(MetricDefinition).where(MetricDefinition.id.in_(metric_ids))
        )
    }
    messages = [f"Metric {i} does not exist." for i in metric_ids if i not in found]
    for metric in found.values():
        owner = metric.owner_department
        if owner is not None and owner.id != department.id:
            messages.append(
                f"Linked metric '{metric.name}' is owned by {owner.code}: link standard "
                f"metrics or metrics owned by {department.code}."
            )
    return messages


def _check(strategy: Strategy, version: int) -> None:
    if version != strategy.version:
        raise EditConflict


def create_strategy(department: Department, data: StrategyData, actor: User) -> Strategy:
    """Add a strategy to a department, refusing invalid input."""
    errors = validate_strategy(data, department)
    if errors:
        raise StrategyInvalid(errors)
    strategy = Strategy(department=department, title=data.title.strip())
    db.session.add(strategy)
    _apply(strategy, data)
    db.session.flush()
    audit.record(
        "create", "strategy", strategy.id, actor=actor, after=strategy_state(strategy),
        department_id=department.id,
    )  # fmt: skip
    return strategy


def update_strategy(strategy: Strategy, data: StrategyData, version: int, actor: User) -> None:
    """Apply an edit; refuse it when the strategy changed since the person opened it."""
    _check(strategy, version)
    errors = validate_strategy(data, strategy.department)
    if errors:
        raise StrategyInvalid(errors)
    before = strategy_state(strategy)
    strategy.updated_at = utcnow()
    _apply(strategy, data)
    db.session.flush()
    _record("update", strategy, actor, before)


def _record(
    action: str,
    strategy: Strategy,
    actor: User,
    before: dict[str, Any] | None,
    reason: str | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    audit.record(
        action, "strategy", strategy.id, actor=actor, before=before,
        after=after if after is not None else strategy_state(strategy),
        department_id=strategy.department_id, reason=reason,
    )  # fmt: skip


def _apply(strategy: Strategy, data: StrategyData) -> None:
    strategy.title = data.title.strip()
    strategy.problem = data.problem.strip()
    strategy.description = data.description.strip()
    strategy.owner_name = data.owner_name.strip()
    strategy.status = data.status
    strategy.progress = data.progress
    strategy.start_date = data.start_date
    strategy.effective_date = data.effective_date
    strategy.end_date = data.end_date
    _sync_drivers(strategy, set(data.drivers))
    _sync_touchpoints(strategy, set(data.touchpoints))
    _sync_metrics(strategy, dict(data.metric_links))


def _sync_drivers(strategy: Strategy, wanted: set[Driver]) -> None:
    # Keep rows that stay, so the unique constraint never sees a delete-then-insert.
    strategy.drivers = [d for d in strategy.drivers if d.driver in wanted]
    have = {d.driver for d in strategy.drivers}
    strategy.drivers.extend(StrategyDriver(driver=d) for d in sorted(wanted - have))


def _sync_touchpoints(strategy: Strategy, wanted: set[tuple[int, int]]) -> None:
    def key(t: StrategyTouchpoint) -> tuple[int, int]:
        return (t.channel_id, t.stage_id)

    strategy.touchpoints = [t for t in strategy.touchpoints if key(t) in wanted]
    have = {key(t) for t in strategy.touchpoints}
    strategy.touchpoints.extend(
        StrategyTouchpoint(channel_id=c, stage_id=s) for c, s in sorted(wanted - have)
    )
    db.session.flush()
    for t in strategy.touchpoints:
        db.session.refresh(t, ["channel", "stage"])


def _sync_metrics(strategy: Strategy, wanted: dict[int, Direction]) -> None:
    strategy.metric_links = [m for m in strategy.metric_links if m.metric_id in wanted]
    for link in strategy.metric_links:
        link.expected_direction = wanted[link.metric_id]
    have = {m.metric_id for m in strategy.metric_links}
    for metric_id in sorted(set(wanted) - have):
        metric = db.session.get(MetricDefinition, metric_id)
        strategy.metric_links.append(
            StrategyMetric(metric=metric, expected_direction=wanted[metric_id])
        )


def cancel_strategy(strategy: Strategy, reason: str, version: int, actor: User) -> None:
    """Cancel (never delete) a strategy, with the reason in its log and its audit event."""
    _check(strategy, version)
    if not reason.strip():
        raise StrategyInvalid({"reason": ["Give the reason for cancelling."]})
    before = strategy_state(strategy)
    strategy.status = StrategyStatus.CANCELLED
    strategy.updated_at = utcnow()
    strategy.updates.append(
        StrategyUpdate(
            author_id=actor.id, status=StrategyStatus.CANCELLED,
            commentary=f"Cancelled: {reason.strip()}",
        )
    )  # fmt: skip
    db.session.flush()
    _record("cancel", strategy, actor, before, reason=reason.strip())


def update_errors(data: UpdateData) -> dict[str, list[str]]:
    """Every broken rule of a progress update, by field name (empty when valid)."""
    errors: dict[str, list[str]] = {}
    if not data.commentary.strip():
        errors["commentary"] = ["Write what happened: the commentary is required."]
    elif len(data.commentary.strip()) > COMMENTARY_LIMIT:
        errors["commentary"] = [f"What happened: at most {COMMENTARY_LIMIT:,} characters."]
    if data.progress is not None and not 0 <= data.progress <= 100:
        errors["update_progress"] = ["Progress must be a whole number from 0 to 100."]
    if data.period is None:
        errors["update_period"] = ["Reporting period: choose the period the update is about."]
    elif data.period.is_closed:
        errors["update_period"] = [
            f"Reporting period: {data.period.label} is closed; choose an open period."
        ]
    return errors


def add_update(strategy: Strategy, data: UpdateData, version: int, actor: User) -> StrategyUpdate:
    """Log a dated progress note on a reporting period; it may also set the strategy's
    status and progress."""
    _check(strategy, version)
    errors = update_errors(data)
    if errors:
        raise StrategyInvalid(errors)
    before = strategy_state(strategy)
    update = StrategyUpdate(
        author_id=actor.id, status=data.status, progress=data.progress,
        commentary=data.commentary.strip(), period=data.period,
    )  # fmt: skip
    strategy.updates.append(update)
    strategy.status = data.status or strategy.status
    strategy.progress = data.progress if data.progress is not None else strategy.progress
    strategy.updated_at = utcnow()
    db.session.flush()
    period = data.period.label if data.period else None
    after = {**strategy_state(strategy), "update": update.commentary, "period": period}
    _record("add_update", strategy, actor, before, after=after)
    return update


def add_milestone(
    strategy: Strategy, title: str, due: date | None, version: int, actor: User
) -> Milestone:
    """Add a milestone to a strategy."""
    _check(strategy, version)
    if not title.strip():
        raise StrategyInvalid({"milestone_title": ["Enter the milestone's title."]})
    milestone = Milestone(title=title.strip(), due_date=due, is_done=False)
    strategy.milestones.append(milestone)
    strategy.updated_at = utcnow()
    db.session.flush()
    after = {"milestone": milestone.title, "due_date": _iso(due), "version": strategy.version}
    _record("add_milestone", strategy, actor, None, after=after)
    return milestone


def done_on_error(done_on: date | None, today: date) -> str | None:
    """Why a milestone's completion date is refused (the field and the reason), or None."""
    if done_on is None:
        return "Done on: enter the date the milestone was done, as YYYY-MM-DD."
    if done_on > today:
        return (
            f"Done on: {done_on.isoformat()} is in the future; a milestone is marked done on "
            f"or before today ({today.isoformat()})."
        )
    return None


def set_milestone_done(
    strategy: Strategy,
    milestone: Milestone,
    is_done: bool,
    version: int,
    actor: User,
    done_on: date | None = None,
    today: date | None = None,
) -> None:
    """Tick a milestone done on its real completion date (today unless given, never in the
    future), or reopen it; bumps the strategy's version."""
    _check(strategy, version)
    today = today or date.today()
    done_on = (done_on or today) if is_done else None
    refused = done_on_error(done_on, today) if is_done else None
    if refused:
        raise StrategyInvalid({"done_on": [refused]})
    before = {"milestone": milestone.title, "done": milestone.is_done,
              "done_on": _iso(milestone.done_on), "version": strategy.version}  # fmt: skip
    milestone.is_done = is_done
    milestone.done_at = utcnow() if is_done else None
    milestone.done_on = done_on
    strategy.updated_at = utcnow()
    db.session.flush()
    after = {"milestone": milestone.title, "done": is_done, "done_on": _iso(done_on),
             "version": strategy.version}  # fmt: skip
    _record("complete_milestone" if is_done else "reopen_milestone", strategy, actor, before,
            after=after)  # fmt: skip
