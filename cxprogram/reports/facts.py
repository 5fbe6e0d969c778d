"""What the report shows besides the snapshot, as plain data: read by queries.report_facts,
pickled into the rendering child process (which imports no database code)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class StrategyFacts:
    """A strategy as the report shows it."""

    id: int
    title: str
    description: str
    status: str
    progress: int
    effective: str
    milestones: tuple[tuple[str, str, bool], ...]  # title, due date, done


@dataclass
class ReportFacts:
    """Everything the report shows that the snapshot does not hold, read once."""

    organization: str
    departments: dict[str, tuple[str, str | None]]  # code -> (name, parent code)
    metrics: dict[str, dict[str, Any]]
    notes: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    strategies: dict[str, list[StrategyFacts]] = field(default_factory=dict)
    reviews: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> state, comment
    history: dict[str, dict[str, Any]] = field(default_factory=dict)  # label -> earlier result
