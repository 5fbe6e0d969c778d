"""Rollup snapshots on the real A-11 data, checked against an independent computation of
SPEC section 4 straight from the CSV (csv + numpy, none of the application's code)."""

from __future__ import annotations

import csv
from collections import defaultdict
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import delete, func, select

from cxprogram.auth.tokens import create_token
from cxprogram.models import Observation, ReportingPeriod, RollupSnapshot
from cxprogram.rollup.document import snapshot_document
from cxprogram.rollup.models import RollupPeriodAggregates

DATA = Path(__file__).resolve().parents[2] / "data" / "a11-hisp-cx-fy2021q1-fy2023q1.csv"
QUESTIONS = {
    "satisfaction": "q1", "trust": "q2", "effectiveness": "q3", "ease": "q4",
    "efficiency": "q5", "transparency": "q6", "employee": "q7",
}  # fmt: skip
NOW = 2023 * 4  # FY2023-Q1 as a quarter number (fiscal year x 4 + quarter - 1)
Scores = dict[str, tuple[float, float]]  # department -> (pooled score, N)


@cache  # one read of the 1 MB file per metric, whichever tests ask
def _by_period(metric: str) -> dict[int, Scores]:
    """Pooled score and N per department in every quarter of the file, from the raw counts,
    by quarter number."""
    points: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    answers: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    q = QUESTIONS[metric]
    with DATA.open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            counts = [row[f"attributes_{q}_{k}"].strip() for k in range(1, 6)]
            counts_n = [0 if c in ("", "NONE") else int(float(c)) for c in counts]
            if sum(counts_n) == 0:
                continue
            year = int(row["attributes_collection_year"])
            quarter = year * 4 + int(row["attributes_collection_quarter"]) - 1
            dept = row["attributes_organization_abbreviation"].strip()
            points[quarter][dept] += sum(k * c for k, c in enumerate(counts_n, start=1))
            answers[quarter][dept] += sum(counts_n)
    return {
        p: {d: (points[p][d] / answers[p][d], answers[p][d]) for d in points[p]} for p in points
    }


def _independent(metric: str, year: str, quarter: str) -> Scores:
    return _by_period(metric).get(int(year) * 4 + int(quarter) - 1, {})


def _index(label: str) -> int:
    """FY2022-Q3 -> its quarter number."""
    return int(label[2:6]) * 4 + int(label[-1]) - 1


@pytest.fixture
def rolled(runner: Any, client: Any, make_user: Any, db_session: Any) -> dict[str, Any]:
    """GET /api/v1/rollups/FY2023-Q1 after the demo and `cxprogram rollup --all`."""
    assert runner.invoke(args=["demo"]).exit_code == 0
    result = runner.invoke(args=["rollup", "--all"])
    assert result.exit_code == 0, result.output
    token = create_token(make_user("chief"))
    answer = client.get("/api/v1/rollups/FY2023-Q1", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    return answer.get_json()  # type: ignore[no-any-return]


def _without_snapshot(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "snapshot"}


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


def _org(scores: Scores) -> tuple[float, float | None, float]:
    """Organization score, cv and consistency share (tolerance 0.25) of one quarter."""
    total = sum(n for _, n in scores.values())
    org = sum(s * n / total for s, n in scores.values())
    values = np.array([s for s, _ in scores.values()])
    cv = float(np.std(values) / abs(values.mean())) if values.mean() else None
    within = sum(1 for s, _ in scores.values() if abs(s - org) <= 0.25)
    return org, cv, 100 * within / len(scores)


@pytest.mark.parametrize("metric", sorted(QUESTIONS))
def test_every_other_field_agrees_with_independent_computation(
    rolled: dict[str, Any], metric: str
) -> None:
    """Dispersion extremes, convergence, XmR trends (SPEC 4.8) and strategy effects (4.7)."""
    series = _by_period(metric)
    now, block = series[NOW], rolled["metrics"][metric]
    values = np.array([s for s, _ in now.values()])
    for key, expected in (("mean", values.mean()), ("min", values.min()),
                          ("max", values.max()), ("range", np.ptp(values))):  # fmt: skip
        assert block[key] == pytest.approx(float(expected), abs=1e-9), key
    _, cv0, consistency0 = _org(series[NOW - 1])
    _, cv1, consistency1 = _org(now)
    assert cv0 is not None and cv1 is not None
    convergence = block["convergence"]
    assert convergence["previous_cv"] == pytest.approx(cv0, abs=1e-9)
    assert convergence["cv_change"] == pytest.approx(cv1 - cv0, abs=1e-9)
    assert convergence["previous_consistency"] == pytest.approx(consistency0, abs=1e-9)
    assert convergence["consistency_change"] == pytest.approx(consistency1 - consistency0)
    _check_trends(series, block)
    _check_effects(series, [e for e in rolled["strategy_effects"] if e["metric"] == metric])


def _check_trends(series: dict[int, Scores], block: dict[str, Any]) -> None:
    """XmR limits over each department's earlier scores, in order, where it reported."""
    signals = set()
    for dept, (score, _) in series[NOW].items():
        history = [series[p][dept][0] for p in sorted(series) if p < NOW and dept in series[p]]
        trend = block["departments"][dept]["trend"]
        if len(history) < 4:
            assert trend == {"signal": None, "center": None, "lower": None, "upper": None}
            continue
        center = float(np.mean(history))
        limit = 2.66 * float(np.mean(np.abs(np.diff(history))))
        assert trend["center"] == pytest.approx(center, abs=1e-9)
        assert trend["lower"] == pytest.approx(center - limit, abs=1e-9)
        assert trend["upper"] == pytest.approx(center + limit, abs=1e-9)
        low, high = center - limit, center + limit
        expected = "above" if score > high else "below" if score < low else "none"
        assert trend["signal"] == expected
        signals.add(expected)
    assert signals  # some department had the four earlier quarters a signal needs


def _check_effects(series: dict[int, Scores], effects: list[dict[str, Any]]) -> None:
    """Difference in differences, window 2, never looking past FY2023-Q1."""
    for effect in effects:
        dept, start = effect["department"], _index(effect["effective_period"])
        pre = [p for p in range(start - 2, start) if dept in series.get(p, {})]
        post = [p for p in range(start, min(start + 2, NOW + 1)) if dept in series.get(p, {})]

        def control(periods: list[int], dept: str = dept) -> list[float]:
            others = [[s for d, (s, _) in series[p].items() if d != dept] for p in periods]
            return [float(np.mean(o)) for o in others if o]

        control_pre, control_post = control(pre), control(post)
        if not (pre and post and control_pre and control_post):
            assert effect["status"] == "insufficient data"
            continue
        pre_mean = float(np.mean([series[p][dept][0] for p in pre]))
        post_mean = float(np.mean([series[p][dept][0] for p in post]))
        change = (post_mean - pre_mean) - (np.mean(control_post) - np.mean(control_pre))
        last = series[post[-1]]
        weight = last[dept][1] / sum(n for _, n in last.values())
        assert effect["status"] == "estimated"
        assert (effect["pre_periods"], effect["post_periods"]) == (len(pre), len(post))
        for key, value in (("pre", pre_mean), ("post", post_mean),
                           ("control_pre", np.mean(control_pre)),
                           ("control_post", np.mean(control_post)),
                           ("effect", change), ("weight", weight),
                           ("contribution", weight * change)):  # fmt: skip
            assert effect[key] == pytest.approx(float(value), abs=1e-9), key


def test_consistency_index_agrees_with_independent_computation(rolled: dict[str, Any]) -> None:
    # the demo's standard metrics with data in FY2023-Q1 are the seven survey questions
    assert set(rolled["metrics"]) == set(QUESTIONS)
    shares = [_org(_by_period(metric)[NOW])[2] for metric in QUESTIONS]
    assert rolled["consistency_index"] == pytest.approx(float(np.mean(shares)), abs=1e-9)
    assert rolled["strategy_effects"]  # the demo's strategies are checked above


def test_pinned_by_hand(rolled: dict[str, Any]) -> None:
    sat = rolled["metrics"]["satisfaction"]
    # DOS: (3677 + 2721) / (1142 + 657); see test_a11_import for the counts
    assert sat["departments"]["DOS"]["score"] == pytest.approx(6398 / 1799, abs=1e-12)
    assert sat["departments"]["DOS"]["status"] == "red"  # 3.556 misses 4.0 by more than 0.25
    assert sat["departments"]["SBA"]["score"] == pytest.approx(1279 / 294, abs=1e-12)
    assert sat["departments"]["SBA"]["status"] == "green"
    # Overall satisfaction: every answer of FY2023-Q1 pooled (points / answers, summed over
    # the file's q1 counts), and of FY2022-Q4 for the shift-share below.
    org1, org0 = Fraction(6148496, 1359165), Fraction(4324705, 971516)
    assert sat["org_score"] == pytest.approx(float(org1), abs=1e-12)  # 4.5237...
    # DOS between FY2022-Q4 and FY2023-Q1 (SPEC 4.6): 6663 points / 1695 answers, then
    # 6398 / 1799; weights are its answers over all answers of each quarter.
    s0, s1 = Fraction(6663, 1695), Fraction(6398, 1799)
    w0, w1 = Fraction(1695, 971516), Fraction(1799, 1359165)
    dos = sat["decomposition"]["departments"]["DOS"]
    assert dos["rate"] == pytest.approx(float((w0 + w1) / 2 * (s1 - s0)), abs=1e-12)
    mix = ((s0 + s1) / 2 - (org0 + org1) / 2) * (w1 - w0)
    assert dos["mix"] == pytest.approx(float(mix), abs=1e-12)
    assert sat["decomposition"]["delta"] == pytest.approx(float(org1 - org0), abs=1e-12)
    assert rolled["previous_period"] == "FY2022-Q4"
    assert rolled["consistency_index"] is not None
    # SPEC 4.7: an effect is estimated exactly when it has a kept pre and a kept post period
    # (every department of the demo has a control group); otherwise "insufficient data".
    effects = rolled["strategy_effects"]
    for e in effects:
        expected = "estimated" if e["pre_periods"] and e["post_periods"] else "insufficient data"
        assert (e["status"], e["effect"] is None) == (expected, expected != "estimated"), e
    statuses = [e["status"] for e in effects]
    assert (statuses.count("estimated"), statuses.count("insufficient data")) == (98, 24)


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
    assert result.exit_code == 2, result.output  # a usage error: the option is refused
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
    assert _without_snapshot(snapshot_document(fresh)) == _without_snapshot(rolled)
