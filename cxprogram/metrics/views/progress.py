"""The grid page's other steps of the period: a progress update on each open strategy of the
department, saved with the grid's values (all or nothing), and what is left afterwards
(review.progress.what_is_left) with the plan submission and its cover note.

Each update is read from `update-<strategy id>-<field>` inputs; the rules are the strategy
service's own (strategies.services.update_errors), on the grid's period."""

from __future__ import annotations

from dataclasses import dataclass

from flask import request
from flask_login import current_user

from cxprogram.auth.models import User
from cxprogram.core import inputs
from cxprogram.extensions import db
from cxprogram.metrics.models import ReportingPeriod
from cxprogram.org.models import Department
from cxprogram.review.queries import plan_strategies_query, strategy_lock_reason
from cxprogram.strategies import services as strategy_services
from cxprogram.strategies.forms import PERCENT_MESSAGE, STATUS_CHOICES, parse_percent, parse_status
from cxprogram.strategies.models import Strategy, StrategyStatus

FIELDS = {"commentary": "commentary", "update_progress": "progress", "update_period": "period"}


@dataclass(frozen=True)
class TypedUpdate:
    """What the grid's form holds for one strategy's progress update (raw strings)."""

    strategy: Strategy
    commentary: str = ""
    status: str = ""
    progress: str = ""
    version: str = ""

    @property
    def is_blank(self) -> bool:
        """Nothing typed: no update for this strategy."""
        return not (self.commentary.strip() or self.status.strip() or self.progress.strip())


def open_strategies(department: Department, period: ReportingPeriod) -> list[Strategy]:
    """The department's strategies in the period's plan that are still under way, when the
    signed-in person may change them now (none while the plan is locked for officers)."""
    if period.is_closed or strategy_lock_reason(current_user, department) is not None:
        return []
    strategies = db.session.scalars(plan_strategies_query(department.id, period))
    closed = (StrategyStatus.DONE, StrategyStatus.CANCELLED)
    return [s for s in strategies if s.status not in closed]


def typed_updates(strategies: list[Strategy]) -> dict[int, TypedUpdate]:
    """The updates as the form sent them, by strategy id (only the page's strategies)."""
    form = request.form
    return {
        s.id: TypedUpdate(
            s,
            form.get(f"update-{s.id}-commentary", ""),
            form.get(f"update-{s.id}-status", ""),
            form.get(f"update-{s.id}-progress", ""),
            form.get(f"update-{s.id}-version", ""),
        )  # fmt: skip
        for s in strategies
    }


def _data(typed: TypedUpdate, period: ReportingPeriod) -> strategy_services.UpdateData:
    return strategy_services.UpdateData(
        commentary=typed.commentary,
        status=parse_status(typed.status or None),
        progress=parse_percent(typed.progress),
        period=period,
    )


def update_errors(
    typed: dict[int, TypedUpdate], period: ReportingPeriod
) -> dict[int, dict[str, str]]:
    """Each typed update's broken rules, by strategy id and field (commentary, status,
    progress, period), in the strategy service's words."""
    errors: dict[int, dict[str, str]] = {}
    for strategy_id, one in typed.items():
        if one.is_blank:
            continue
        found = {FIELDS.get(k, k): " ".join(v) for k, v in
                 strategy_services.update_errors(_data(one, period)).items()}  # fmt: skip
        if one.progress.strip() and inputs.to_int(one.progress.strip(), maximum=100) is None:
            found["progress"] = PERCENT_MESSAGE
        if one.status and parse_status(one.status) is None:
            found["status"] = "New status: choose one from the list."
        if found:
            errors[strategy_id] = found
    return errors


def write_updates(typed: dict[int, TypedUpdate], period: ReportingPeriod, actor: User) -> int:
    """Log each typed update on the grid's period (the caller validated them); how many.
    A stale strategy version raises strategy_services.EditConflict."""
    count = 0
    for one in typed.values():
        if not one.is_blank:
            version = inputs.version(one.version)
            strategy_services.add_update(one.strategy, _data(one, period), version, actor)
            count += 1
    return count


STATUS_OPTIONS = [("", "Keep the current status")] + [(c.value, c.label) for c in STATUS_CHOICES]
