"""Rollup snapshots on the real A-11 data, checked against an independent computation of
SPEC section 4 straight from the CSV (csv + numpy, none of the application's code)."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import delete, func, select

from cxprogram.models import Observation, ReportingPeriod, RollupSnapshot
from cxprogram.rollup.compose import expand_rollup
from cxprogram.rollup.models import RollupPeriodAggregates

DATA = Path(__file__).resolve().parents[2] / "data" / "a11-hisp-cx-fy2021q1-fy2023q1.csv"
QUESTIONS = {"satisfaction": "q1", "trust": "q2", "ease": "q4"}


def _independent(metric: str, year: str, quarter: str) -> dict[str, tuple[float, float]]:
    """Pooled score and N per department, from the raw counts."""
    points: dict[str, float] = defaultdict(float)
    answers: dict[str, float] = defaultdict(float)
    q = QUESTIONS[metric]
    with DATA.open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            if (row["attributes_collection_year"], row["attributes_collection_quarter"]) != (
                year,
                quarter,
            ):
                continue
            counts = [row[f"attributes_{q}_{k}"].strip() for k in range(1, 6)]
            counts_n = [0 if c in ("", "NONE") else int(float(c)) for c in counts]
            if sum(counts_n) == 0:
                continue
            dept = row["attributes_organization_abbreviation"].strip()
            points[dept] += sum(k * c for k, c in enumerate(counts_n, start=1))
            answers[dept] += sum(counts_n)
    return {d: (points[d] / answers[d], answers[d]) for d in points}


@pytest.fixture
def rolled(runner: Any, db_session: Any) -> dict[str, Any]:
    assert runner.invoke(args=["demo"]).exit_code == 0
    result = runner.invoke(args=["rollup", "--all"])
    assert result.exit_code == 0, result.output
    snapshot = db_session.scalar(
        select(RollupSnapshot).join(ReportingPeriod, ReportingPeriod.id == RollupSnapshot.period_id)
        .where(ReportingPeriod.label == "FY2023-Q1")
    )  # fmt: skip
    return expand_rollup(snapshot.result)


@pytest.mark.parametrize("metric", sorted(QUESTIONS))
def test_rollup_agrees_with_independent_computation(rolled: dict[str, Any], metric: str) -> None:
    now, before = _independent(metric, "2023", "1"), _independent(metric, "2022", "4")
    block = rolled["metrics"][metric]
    total = sum(n for _, n in now.values())
    org = sum(s * n / total for s, n in now.values())
    scores = np.array([s for s, _ in now.values()])
    assert block["n_departments"] == len(now)
    assert block["org_score"] == pytest.approx(org, abs=1e-9)
    assert block["sd"] == pytest.approx(float(np.std(scores)), abs=1e-9)
    assert block["iqr"] == pytest.approx(
        float(np.percentile(scores, 75) - np.percentile(scores, 25)), abs=1e-9
    )
    assert block["cv"] == pytest.approx(float(np.std(scores) / abs(scores.mean())), abs=1e-9)
    within = sum(1 for s, _ in now.values() if abs(s - org) <= 0.25)
    assert block["consistency"] == pytest.approx(100 * within / len(now), abs=1e-9)
    for dept, (score, n) in now.items():
        got = block["departments"][dept]
        assert got["score"] == pytest.approx(score, abs=1e-9)
        assert got["n"] == n and got["weight"] == pytest.approx(n / total, abs=1e-12)
    # shift-share against FY2022-Q4
    total0 = sum(n for _, n in before.values())
    org0 = sum(s * n / total0 for s, n in before.values())
    s_bar = (org0 + org) / 2
    decomposition = block["decomposition"]
    assert decomposition["delta"] == pytest.approx(org - org0, abs=1e-9)
    for dept in set(now) | set(before):
        w0 = before[dept][1] / total0 if dept in before else 0.0
        w1 = now[dept][1] / total if dept in now else 0.0
        s0 = before.get(dept, now.get(dept))[0]  # type: ignore[index]
        s1 = now.get(dept, before.get(dept))[0]  # type: ignore[index]
        part = decomposition["departments"][dept]
        assert part["rate"] == pytest.approx((w0 + w1) / 2 * (s1 - s0), abs=1e-9)
        assert part["mix"] == pytest.approx(((s0 + s1) / 2 - s_bar) * (w1 - w0), abs=1e-9)
    assert decomposition["rate"] + decomposition["mix"] == pytest.approx(org - org0, abs=1e-12)


def test_pinned_by_hand(rolled: dict[str, Any]) -> None:
    sat = rolled["metrics"]["satisfaction"]
    # DOS: (3677 + 2721) / (1142 + 657); see test_a11_import for the counts
    assert sat["departments"]["DOS"]["score"] == pytest.approx(6398 / 1799, abs=1e-12)
    assert sat["departments"]["DOS"]["status"] == "red"  # 3.556 misses 4.0 by more than 0.25
    assert sat["departments"]["SBA"]["score"] == pytest.approx(1279 / 294, abs=1e-12)
    assert sat["departments"]["SBA"]["status"] == "green"
    assert rolled["previous_period"] == "FY2022-Q4"
    assert rolled["consistency_index"] is not None
    effects = rolled["strategy_effects"]
    assert effects and all(e["status"] in ("estimated", "insufficient data") for e in effects)
    estimated = [e for e in effects if e["status"] == "estimated"]
    assert estimated and all(e["pre_periods"] >= 1 and e["post_periods"] >= 1 for e in estimated)


def test_unchanged_inputs_store_nothing_changed_inputs_a_new_version(
    runner: Any, db_session: Any, rolled: dict[str, Any]
) -> None:
    count = db_session.scalar(select(func.count(RollupSnapshot.id)))
    again = runner.invoke(args=["rollup", "--period", "FY2023-Q1"])
    assert "v1 (unchanged)" in again.output
    assert db_session.scalar(select(func.count(RollupSnapshot.id))) == count
    obs = db_session.scalars(
        select(Observation).join(Observation.period).where(ReportingPeriod.label == "FY2023-Q1")
    ).first()
    obs.value = obs.value - 0.5
    db_session.flush()
    changed = runner.invoke(args=["rollup", "--period", "FY2023-Q1"])
    assert "v2 (new)" in changed.output
    assert db_session.scalar(select(func.count(RollupSnapshot.id))) == count + 1


def test_bad_period_label_is_refused(runner: Any, db_session: Any) -> None:
    result = runner.invoke(args=["rollup", "--period", "2023Q1"])
    assert result.exit_code != 0
    assert "expected the form FY2024-Q1" in result.output


def test_rollup_from_cached_aggregates_equals_one_from_scratch(
    runner: Any, db_session: Any, rolled: dict[str, Any]
) -> None:
    period = db_session.scalar(select(ReportingPeriod).where(ReportingPeriod.label == "FY2023-Q1"))
    db_session.execute(delete(RollupPeriodAggregates))
    db_session.execute(delete(RollupSnapshot).where(RollupSnapshot.period_id == period.id))
    again = runner.invoke(args=["rollup", "--period", "FY2023-Q1"])
    assert "v1 (new)" in again.output
    fresh = db_session.scalar(select(RollupSnapshot).where(RollupSnapshot.period_id == period.id))
    assert expand_rollup(fresh.result) == rolled
