"""The review pages' pure computation: a strategy's state at a moment from its audit trail,
and the coverage matrix's cells and gaps, by tables."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cxprogram.review.calc import Change, PlanStrategy, StrategyRef, compute_coverage
from cxprogram.review.calc import compute_state_at as state_at

NOW = {"title": "Now", "status": "on_track", "progress": 70, "start_date": "2022-01-01",
       "effective_date": None, "end_date": None}  # fmt: skip
CHANGES = [
    Change(datetime(2022, 3, 1, tzinfo=UTC), None, {"title": "First", "status": "not_started"}),
    Change(datetime(2022, 6, 1, tzinfo=UTC), {"status": "not_started", "progress": 0},
           {"status": "at_risk", "progress": 30}),
    Change(datetime(2023, 1, 1, tzinfo=UTC), {"title": "First", "status": "at_risk",
           "progress": 30}, {"title": "Now", "status": "on_track", "progress": 70}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("moment", "title", "status", "progress"),
    [
        (datetime(2022, 2, 1, tzinfo=UTC), "First", "not_started", 0),  # before any: befores
        (datetime(2022, 3, 1, tzinfo=UTC), "First", "not_started", 0),  # at an event: its after
        (datetime(2022, 9, 30, tzinfo=UTC), "First", "at_risk", 30),
        (datetime(2024, 1, 1, tzinfo=UTC), "Now", "on_track", 70),  # after every change
    ],
)
def test_state_at(moment: datetime, title: str, status: str, progress: int) -> None:
    state = state_at(NOW, CHANGES, moment)
    assert (state["title"], state["status"], state["progress"]) == (title, status, progress)
    assert state["start_date"] == "2022-01-01"  # no event carries it: as now


def test_state_without_history_is_the_current_one() -> None:
    assert state_at(NOW, [], datetime(2000, 1, 1, tzinfo=UTC)) == NOW


def test_plan_strategy_round_trip_and_old_snapshots() -> None:
    row = PlanStrategy(1, "T", "done", 100, None, None, None, 2, 2, 0, "2023-01-02", "x", ["a"])
    assert PlanStrategy.from_json(row.to_json()) == row
    old = PlanStrategy.from_json({"id": 2, "title": "Old", "unknown_key": 1})
    assert (old.status, old.touchpoints, old.milestones_total) == ("not_started", [], 0)


def test_coverage_cells_and_gaps() -> None:
    a = StrategyRef(1, "Call-back", "VA", "on_track")
    b = StrategyRef(2, "Alerts", "DMV", "at_risk")
    coverage = compute_coverage(
        stages=[(10, "Apply"), (11, "Get help")], channels=[(1, "Web"), (2, "Phone")],
        targets=[(11, 2, a), (11, 2, a), (10, 1, b)],  # a twice: once in the cell
        services=[(11, 2, "VA"), (11, 2, "DMV"), (10, 2, "VA"), (None, 1, "IRS"),
                  (None, 2, "DMV")],
    )  # fmt: skip
    help_phone = coverage.cell(11, 2)
    assert help_phone.strategies == [a] and help_phone.services == 2
    assert not help_phone.is_gap and help_phone.uncovered_departments == ["DMV"]
    assert coverage.cell(10, 2).is_gap  # a service, no strategy
    assert not coverage.cell(10, 1).is_gap  # a strategy, no service
    assert coverage.cell(11, 1).services == 0 and not coverage.cell(11, 1).is_gap
    assert (coverage.gap_count, coverage.covered_count) == (1, 2)
    # Services without a stage count against strategies on their channel at any stage.
    assert coverage.unstaged[1].strategies == [b] and not coverage.unstaged[1].is_gap
    assert coverage.unstaged[2].strategies == [a]
