"""Pure computation behind the review pages: a strategy's state at a moment from its audit
trail, and the touchpoint coverage matrix. No Flask, no SQLAlchemy, no clock."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

# The strategy fields a plan shows that its audit events carry in before/after.
STATE_FIELDS = ("title", "status", "progress", "start_date", "effective_date", "end_date")


@dataclass(frozen=True)
class PlanStrategy:
    """One strategy of a plan as it stood at a moment (stored as JSON in the plan)."""

    id: int
    title: str
    status: str
    progress: int
    start_date: str | None
    effective_date: str | None
    end_date: str | None
    milestones_done: int
    milestones_total: int
    milestones_late: int
    latest_update_on: str | None
    latest_update: str
    touchpoints: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Plain data for the plan's JSON column."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PlanStrategy:
        """Back from the JSON column; keys a later version added get their defaults."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        defaults: dict[str, Any] = {
            "title": "", "status": "not_started", "progress": 0, "start_date": None,
            "effective_date": None, "end_date": None, "milestones_done": 0,
            "milestones_total": 0, "milestones_late": 0, "latest_update_on": None,
            "latest_update": "",
        }  # fmt: skip
        return cls(**{**defaults, **known})


@dataclass(frozen=True)
class Change:
    """One audit event of a strategy: when, and the state before and after."""

    at: datetime
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def compute_state_at(
    current: dict[str, Any], changes: Sequence[Change], moment: datetime
) -> dict[str, Any]:
    """The strategy's fields at `moment`: each from the last change at or before it that
    carries the field, else from the first later change's before, else as it is now
    (nothing changed it since). `changes` in time order."""
    state = dict(current)
    for name in STATE_FIELDS:
        earlier = [(c.after or {})[name] for c in changes
                   if c.at <= moment and name in (c.after or {})]  # fmt: skip
        later = [(c.before or {})[name] for c in changes
                 if c.at > moment and name in (c.before or {})]  # fmt: skip
        if earlier:
            state[name] = earlier[-1]
        elif later:
            state[name] = later[0]
    return state


@dataclass(frozen=True)
class StrategyRef:
    """An active strategy targeting a touchpoint."""

    id: int
    title: str
    department: str
    status: str


@dataclass
class CoverageCell:
    """One touchpoint: the strategies targeting it and the departments offering services."""

    strategies: list[StrategyRef] = field(default_factory=list)
    service_departments: dict[str, int] = field(default_factory=dict)  # code -> services

    @property
    def services(self) -> int:
        """How many services are offered at this touchpoint."""
        return sum(self.service_departments.values())

    @property
    def is_gap(self) -> bool:
        """Services are offered here and no active strategy targets it."""
        return self.services > 0 and not self.strategies

    @property
    def uncovered_departments(self) -> list[str]:
        """Departments offering services here without a strategy of their own on it."""
        own = {s.department for s in self.strategies}
        return sorted(code for code in self.service_departments if code not in own)


@dataclass(frozen=True)
class Coverage:
    """The journey stage x channel matrix, plus services whose stage is not recorded."""

    stages: list[tuple[int, str]]
    channels: list[tuple[int, str]]
    cells: dict[tuple[int, int], CoverageCell]
    unstaged: dict[int, CoverageCell]  # channel id -> services with no journey stage

    def cell(self, stage_id: int, channel_id: int) -> CoverageCell:
        """The cell of a touchpoint (empty when nothing is there)."""
        return self.cells.get((stage_id, channel_id), CoverageCell())

    @property
    def gap_count(self) -> int:
        """Touchpoints with services and no active strategy."""
        return sum(1 for c in self.cells.values() if c.is_gap)

    @property
    def covered_count(self) -> int:
        """Touchpoints some active strategy targets."""
        return sum(1 for c in self.cells.values() if c.strategies)


def compute_coverage(
    stages: list[tuple[int, str]],
    channels: list[tuple[int, str]],
    targets: Iterable[tuple[int, int, StrategyRef]],
    services: Iterable[tuple[int | None, int, str]],
) -> Coverage:
    """The matrix from (stage, channel, strategy) targets and (stage or None, channel,
    department code) service offers, one per service, stage and channel."""
    cells: dict[tuple[int, int], CoverageCell] = {}
    unstaged: dict[int, CoverageCell] = {}
    for stage_id, channel_id, ref in targets:
        cell = cells.setdefault((stage_id, channel_id), CoverageCell())
        if ref not in cell.strategies:
            cell.strategies.append(ref)
    for stage, channel, code in services:
        offer = (
            unstaged.setdefault(channel, CoverageCell())
            if stage is None
            else cells.setdefault((stage, channel), CoverageCell())
        )
        offer.service_departments[code] = offer.service_departments.get(code, 0) + 1
    for channel, row in unstaged.items():  # strategies on the channel, at any stage
        for (_, chan), other in cells.items():
            if chan == channel:
                row.strategies.extend(s for s in other.strategies if s not in row.strategies)
    for each in [*cells.values(), *unstaged.values()]:
        each.strategies.sort(key=lambda s: (s.department, s.title, s.id))
    return Coverage(stages, channels, cells, unstaged)
