"""The rollup mathematics (SPEC section 4): hand-worked tables and properties."""

from __future__ import annotations

import ast
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxprogram.rollup.calc import (
    DepartmentAggregate,
    DepartmentScore,
    PeriodScores,
    Summary,
    compute_consistency,
    compute_consistency_index,
    compute_convergence,
    compute_decomposition,
    compute_department_score,
    compute_dispersion,
    compute_effect,
    compute_effect_window,
    compute_org_score,
    compute_status,
    compute_summary,
    compute_trend_signal,
    compute_weights,
)

ROOT = Path(__file__).resolve().parents[2]


def test_no_calc_module_imports_flask_or_sqlalchemy() -> None:
    calc_files = list((ROOT / "cxprogram").rglob("calc.py"))
    assert calc_files
    for path in calc_files:
        tree = ast.parse(path.read_text())
        names = {
            (n.module or "") if isinstance(n, ast.ImportFrom) else a.name
            for n in ast.walk(tree)
            if isinstance(n, ast.Import | ast.ImportFrom)
            for a in (n.names if isinstance(n, ast.Import) else [n])  # type: ignore[list-item]
        }
        banned = [
            m for m in names if m.split(".")[0] in {"flask", "sqlalchemy", "flask_sqlalchemy"}
        ]
        banned += [m for m in names if m.startswith("cxprogram.extensions")]
        assert banned == [], f"{path} imports {banned}"


# --- 4.1 department score ---------------------------------------------------------------


def test_weighted_mean_pools_answers() -> None:
    # two observations: 4.0 from 100 answers and 3.0 from 300: (400 + 900) / 400 = 3.25
    agg = DepartmentAggregate("A", weighted_sum=400 + 900, weight_total=400, plain_sum=7.0, count=2)
    assert compute_department_score(agg, "weighted_mean") == DepartmentScore("A", 3.25, 400)


def test_weighted_mean_without_any_n_is_the_plain_mean() -> None:
    agg = DepartmentAggregate("A", weighted_sum=0.0, weight_total=0.0, plain_sum=9.0, count=2)
    assert compute_department_score(agg, "weighted_mean") == DepartmentScore("A", 4.5, 2)


def test_mean_and_sum() -> None:
    agg = DepartmentAggregate("A", weighted_sum=10.0, weight_total=5.0, plain_sum=9.0, count=3)
    assert compute_department_score(agg, "mean") == DepartmentScore("A", 3.0, 3)
    assert compute_department_score(agg, "sum") == DepartmentScore("A", 9.0, 3)


# --- 4.2 organization score -------------------------------------------------------------


def test_volume_and_equal_weighting() -> None:
    scores = [DepartmentScore("A", 4.0, 300), DepartmentScore("B", 3.0, 100)]
    volume = compute_weights(scores, "volume")
    assert volume == {"A": 0.75, "B": 0.25}
    assert compute_org_score({"A": 4.0, "B": 3.0}, volume, "weighted_mean") == 3.75
    equal = compute_weights(scores, "equal")
    assert compute_org_score({"A": 4.0, "B": 3.0}, equal, "weighted_mean") == 3.5
    assert compute_org_score({"A": 4.0, "B": 3.0}, equal, "sum") == 7.0


# --- 4.3 dispersion ----------------------------------------------------------------------


def test_dispersion_by_hand() -> None:
    d = compute_dispersion([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0])
    assert d is not None
    assert d.mean == 5.0 and d.sd == 2.0 and d.cv == 0.4
    assert (d.min, d.max, d.range) == (2.0, 9.0, 7.0)
    assert d.iqr == pytest.approx(np.percentile([2, 4, 4, 4, 5, 5, 7, 9], 75) - 4.0)


def test_cv_is_none_when_mean_is_zero() -> None:
    d = compute_dispersion([-1.0, 1.0])
    assert d is not None and d.cv is None


@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=30))
def test_dispersion_agrees_with_numpy(values: list[float]) -> None:
    d = compute_dispersion(values)
    assert d is not None
    assert d.sd == pytest.approx(float(np.std(values)), rel=1e-9, abs=1e-6)
    iqr = float(np.percentile(values, 75) - np.percentile(values, 25))
    assert d.iqr == pytest.approx(iqr, rel=1e-9, abs=1e-6)


# --- 4.4 consistency, 4.5 status ---------------------------------------------------------


def test_consistency_share_and_index() -> None:
    assert compute_consistency([4.0, 4.2, 4.6, 3.5], 4.1, 0.25) == 50.0
    assert compute_consistency([4.0], 4.0, None) is None
    assert compute_consistency_index([50.0, None, 100.0]) == 75.0
    assert compute_consistency_index([None]) is None


@pytest.mark.parametrize(
    ("scores", "weights", "aggregation", "tolerance", "org", "consistency"),
    [
        ({"A": 4.0, "B": 3.0}, {"A": 0.75, "B": 0.25}, "weighted_mean", 0.5, 3.75, 50.0),
        ({"A": 4.0, "B": 3.0}, {"A": 0.75, "B": 0.25}, "weighted_mean", 0.25, 3.75, 50.0),
        ({"A": 4.0, "B": 3.0}, {"A": 0.75, "B": 0.25}, "weighted_mean", 0.75, 3.75, 100.0),
        ({"A": 4.0, "B": 3.0}, {"A": 0.5, "B": 0.5}, "weighted_mean", None, 3.5, None),
        ({"A": 4.0, "B": 3.0}, {}, "sum", 0.5, 7.0, 0.0),
        ({"A": 2.0}, {"A": 1.0}, "mean", 0.0, 2.0, 100.0),
    ],
)
def test_summary(
    scores: dict[str, float], weights: dict[str, float], aggregation: str,
    tolerance: float | None, org: float, consistency: float | None,
) -> None:  # fmt: skip
    summary = compute_summary(scores, weights, aggregation, tolerance)
    assert summary == Summary(org, compute_dispersion(scores.values()), consistency)


def test_summary_without_data() -> None:
    assert compute_summary({}, {}, "weighted_mean", 0.5) == Summary(None, None, None)


def _summary(values: list[float], consistency: float | None) -> Summary:
    return Summary(None, compute_dispersion(values), consistency)


@pytest.mark.parametrize(
    ("previous", "current", "expected"),
    [
        # cv 0.5 (mean 2, sd 1) -> 0.25 (mean 2, sd 0.5); consistency 50 -> 75
        (_summary([1.0, 3.0], 50.0), _summary([1.5, 2.5], 75.0), (0.5, 50.0, -0.25, 25.0)),
        (_summary([1.5, 2.5], 75.0), _summary([1.0, 3.0], 50.0), (0.25, 75.0, 0.25, -25.0)),
        (_summary([1.0, 3.0], 50.0), _summary([1.0, 3.0], 50.0), (0.5, 50.0, 0.0, 0.0)),
        # mean 0: no cv before, so no change in cv
        (_summary([-1.0, 1.0], 50.0), _summary([1.0, 3.0], 100.0), (None, 50.0, None, 50.0)),
        (_summary([1.0, 3.0], 50.0), _summary([-1.0, 1.0], 0.0), (0.5, 50.0, None, -50.0)),
        # no tolerance: no consistency share on one side
        (_summary([1.0, 3.0], None), _summary([1.5, 2.5], 75.0), (0.5, None, -0.25, None)),
        (_summary([1.0, 3.0], 50.0), _summary([1.5, 2.5], None), (0.5, 50.0, -0.25, None)),
        (Summary(None, None, None), _summary([1.5, 2.5], 75.0), (None, None, None, None)),
    ],
)
def test_convergence(
    previous: Summary, current: Summary, expected: tuple[float | None, ...]
) -> None:
    found = compute_convergence(previous, current)
    assert (
        found.previous_cv, found.previous_consistency, found.cv_change, found.consistency_change
    ) == expected  # fmt: skip


@pytest.mark.parametrize(
    ("score", "target", "tolerance", "higher", "expected"),
    [
        (4.1, 4.0, 0.25, True, "green"),
        (4.0, 4.0, 0.25, True, "green"),
        (3.8, 4.0, 0.25, True, "amber"),
        (3.7, 4.0, 0.25, True, "red"),
        (100.0, 120.0, 30.0, False, "green"),
        (140.0, 120.0, 30.0, False, "amber"),
        (151.0, 120.0, 30.0, False, "red"),
        (3.9, 4.0, None, True, "red"),
        (3.9, None, 0.25, True, None),
    ],
)
def test_status(
    score: float, target: float | None, tolerance: float | None, higher: bool, expected: str | None
) -> None:
    assert compute_status(score, target, tolerance, higher) == expected


# --- 4.6 shift-share ---------------------------------------------------------------------


def test_shift_share_by_hand() -> None:
    # period 0: A 4.0 (w .5), B 3.0 (w .5): S0 = 3.5
    # period 1: A 4.5 (w .25), B 3.0 (w .75): S1 = 3.375
    previous = PeriodScores({"A": 4.0, "B": 3.0}, {"A": 0.5, "B": 0.5})
    current = PeriodScores({"A": 4.5, "B": 3.0}, {"A": 0.25, "B": 0.75})
    result = compute_decomposition(previous, current, "weighted_mean")
    s_bar = (3.5 + 3.375) / 2
    parts = {p.department: p for p in result.parts}
    assert parts["A"].rate == pytest.approx((0.5 + 0.25) / 2 * 0.5)
    assert parts["A"].mix == pytest.approx((4.25 - s_bar) * (0.25 - 0.5))
    assert parts["B"].rate == 0.0
    assert parts["B"].mix == pytest.approx((3.0 - s_bar) * (0.75 - 0.5))
    assert result.delta == pytest.approx(-0.125)
    assert result.rate + result.mix == pytest.approx(result.delta, abs=1e-12)


def test_shift_share_department_in_one_period_only() -> None:
    previous = PeriodScores({"A": 4.0}, {"A": 1.0})
    current = PeriodScores({"A": 4.0, "B": 2.0}, {"A": 0.5, "B": 0.5})
    result = compute_decomposition(previous, current, "weighted_mean")
    parts = {p.department: p for p in result.parts}
    assert parts["B"].rate == 0.0  # absent before: takes its own score, no change in service
    assert result.delta == pytest.approx(-1.0)
    assert parts["A"].total + parts["B"].total == pytest.approx(-1.0)


def test_shift_share_for_sums() -> None:
    result = compute_decomposition(
        PeriodScores({"A": 10.0}, {"A": 1.0}), PeriodScores({"A": 12.0, "B": 5.0}, {}), "sum"
    )
    assert {p.department: p.rate for p in result.parts} == {"A": 2.0, "B": 5.0}
    assert result.delta == 7.0 and result.mix == 0.0


def _period(draw_scores: dict[str, tuple[float, float]]) -> PeriodScores:
    scores = [DepartmentScore(d, s, n) for d, (s, n) in draw_scores.items()]
    weights = compute_weights(scores, "volume")
    return PeriodScores({s.department: s.score for s in scores}, weights)


department_data = st.dictionaries(
    st.sampled_from([f"D{i}" for i in range(12)]),
    st.tuples(st.floats(1, 5), st.floats(1, 1e5)),
    min_size=1,
    max_size=12,
)


@given(department_data, department_data)
def test_shift_share_parts_sum_to_the_change(p0: dict, p1: dict) -> None:  # type: ignore[type-arg]
    previous, current = _period(p0), _period(p1)
    result = compute_decomposition(previous, current, "weighted_mean")
    assert math.fsum(p.total for p in result.parts) == pytest.approx(result.delta, abs=1e-9)
    assert math.fsum(previous.weights.values()) == pytest.approx(1.0)
    assert math.fsum(current.weights.values()) == pytest.approx(1.0)


@given(department_data, department_data, st.randoms())
def test_results_do_not_depend_on_order_or_names(p0: dict, p1: dict, rnd) -> None:  # type: ignore[no-untyped-def, type-arg]
    base = compute_decomposition(_period(p0), _period(p1), "weighted_mean")
    names = sorted(set(p0) | set(p1))
    renamed = dict(zip(names, rnd.sample([f"X{i}" for i in range(50)], len(names)), strict=True))
    items0, items1 = list(p0.items()), list(p1.items())
    rnd.shuffle(items0)
    rnd.shuffle(items1)
    moved = compute_decomposition(
        _period({renamed[d]: v for d, v in items0}), _period({renamed[d]: v for d, v in items1}),
        "weighted_mean",
    )  # fmt: skip
    assert moved.delta == pytest.approx(base.delta, abs=1e-12)
    by_name = {p.department: p for p in moved.parts}
    for part in base.parts:
        assert by_name[renamed[part.department]].rate == pytest.approx(part.rate, abs=1e-12)
        assert by_name[renamed[part.department]].mix == pytest.approx(part.mix, abs=1e-12)


@given(department_data)
def test_unchanged_scores_move_nothing(p: dict) -> None:  # type: ignore[type-arg]
    # (a department without data changing nothing is checked on whole rollups, in
    # tests/integration/test_rollup_cache.py)
    period = _period(p)
    same = compute_decomposition(period, period, "weighted_mean")
    assert same.delta == 0.0 and all(
        part.total == pytest.approx(0.0, abs=1e-12) for part in same.parts
    )


# --- 4.7 difference in differences ------------------------------------------------------


def _series() -> dict[int, PeriodScores]:
    # A changes its service at period 2; B and C are the comparison.
    return {
        0: PeriodScores({"A": 3.0, "B": 4.0, "C": 4.2}, {"A": 0.2, "B": 0.4, "C": 0.4}),
        1: PeriodScores({"A": 3.2, "B": 4.0, "C": 4.0}, {"A": 0.2, "B": 0.4, "C": 0.4}),
        2: PeriodScores({"A": 3.8, "B": 4.1, "C": 4.1}, {"A": 0.3, "B": 0.35, "C": 0.35}),
        3: PeriodScores({"A": 4.0, "B": 4.2, "C": 4.0}, {"A": 0.25, "B": 0.5, "C": 0.25}),
    }


@pytest.mark.parametrize(
    ("effective", "window", "last", "pre", "post"),
    [
        (5, 2, None, [3, 4], [5, 6]),
        (5, 3, None, [2, 3, 4], [5, 6, 7]),
        (5, 2, 9, [3, 4], [5, 6]),
        (5, 2, 6, [3, 4], [5, 6]),
        (5, 2, 5, [3, 4], [5]),  # a snapshot never looks ahead
        (5, 2, 4, [3, 4], []),
        (5, 2, 3, [3], []),
        (0, 2, 0, [-2, -1], [0]),
        (5, 1, None, [4], [5]),
    ],
)
def test_effect_window(
    effective: int, window: int, last: int | None, pre: list[int], post: list[int]
) -> None:
    found = compute_effect_window(effective, window, last)
    assert (list(found.pre), list(found.post)) == (pre, post)
    assert found.periods == (*pre, *post)


def test_difference_in_differences_by_hand() -> None:
    effect = compute_effect("A", _series(), effective_index=2, window=2)
    assert effect.status == "estimated"
    assert effect.pre == pytest.approx(3.1) and effect.post == pytest.approx(3.9)
    # control: period 0 4.1, 1 4.0, 2 4.1, 3 4.1 -> pre 4.05, post 4.1
    assert effect.control_pre == pytest.approx(4.05) and effect.control_post == pytest.approx(4.1)
    assert effect.effect == pytest.approx(0.8 - 0.05)
    assert effect.weight == 0.25 and effect.contribution == pytest.approx(0.25 * 0.75)
    assert (effect.pre_periods, effect.post_periods) == (2, 2)


def test_effect_never_looks_ahead() -> None:
    effect = compute_effect("A", _series(), effective_index=2, window=2, last_index=2)
    assert effect.post == pytest.approx(3.8) and effect.post_periods == 1
    assert effect.weight == 0.3


def test_effect_without_pre_period_or_control_is_insufficient() -> None:
    assert compute_effect("A", _series(), effective_index=0).status == "insufficient data"
    alone = {p: PeriodScores({"A": s.scores["A"]}, {"A": 1.0}) for p, s in _series().items()}
    assert compute_effect("A", alone, effective_index=2).status == "insufficient data"


# --- 4.8 XmR -----------------------------------------------------------------------------


def test_trend_signal() -> None:
    assert compute_trend_signal([4.0, 4.1, 4.0]).signal is None  # fewer than four before
    steady = compute_trend_signal([4.0, 4.1, 4.0, 4.1, 4.05])
    assert steady.signal == "none"
    assert steady.center == pytest.approx(4.05) and steady.upper == pytest.approx(4.05 + 2.66 * 0.1)
    assert compute_trend_signal([4.0, 4.1, 4.0, 4.1, 4.5]).signal == "above"
    assert compute_trend_signal([4.0, 4.1, 4.0, 4.1, 3.6]).signal == "below"


# --- column-at-a-time equivalents and the aggregate cache record -------------------------

aggregate_rows = st.lists(
    st.tuples(
        st.floats(-1e6, 1e6, allow_nan=False),  # weighted sum
        st.sampled_from([0.0, 0.5, 1.0, 37.0, 1e5]),  # weight total (0: no n)
        st.floats(-1e3, 1e3, allow_nan=False),  # plain sum
        st.integers(1, 500),  # count
    ),
    min_size=0,
    max_size=25,
)


@given(aggregate_rows)
def test_score_columns_equal_compute_department_score(rows: list) -> None:  # type: ignore[type-arg]
    from cxprogram.rollup.columns import score_columns

    columns = score_columns(*zip(*rows, strict=True)) if rows else score_columns([], [], [], [])
    for k, (w, t, p, c) in enumerate(rows):
        agg = DepartmentAggregate("X", w, t, p, c)
        weighted = compute_department_score(agg, "weighted_mean")
        assert (columns["wm_score"][k], columns["wm_n"][k]) == (weighted.score, weighted.n)
        assert columns["mean_score"][k] == compute_department_score(agg, "mean").score
        plain = compute_department_score(agg, "sum")
        assert (columns["plain_sum"][k], columns["count"][k]) == (plain.score, plain.n)


@given(department_data, st.sampled_from(["volume", "equal"]))
def test_weight_column_equals_compute_weights(data: dict, weighting: str) -> None:  # type: ignore[type-arg]
    from cxprogram.rollup.columns import weight_column

    depts = sorted(data)
    volumes = np.array([data[d][1] for d in depts], dtype=np.float64)
    expected = compute_weights(
        [DepartmentScore(d, data[d][0], data[d][1]) for d in depts], weighting
    )
    assert dict(zip(depts, weight_column(volumes, weighting).tolist(), strict=True)) == expected


@given(department_data, st.sampled_from(["weighted_mean", "mean", "sum"]), st.data())
def test_summary_columns_equal_calc(p: dict, aggregation: str, data: Any) -> None:  # type: ignore[type-arg]
    from cxprogram.rollup.columns import (
        consistency_column,
        dispersion_column,
        org_score_column,
        weight_column,
    )

    depts = sorted(p)
    scores = np.array([p[d][0] for d in depts])
    weights = weight_column(np.array([p[d][1] for d in depts]), "volume")
    mapping = dict(zip(depts, scores.tolist(), strict=True))
    org = compute_org_score(mapping, dict(zip(depts, weights.tolist(), strict=True)), aggregation)
    assert org_score_column(scores, weights, aggregation) == org
    assert dispersion_column(scores) == compute_dispersion(mapping.values())
    tolerance = data.draw(st.none() | st.floats(0, 2))
    assert org is not None
    expected = compute_consistency(mapping.values(), org, tolerance)
    assert consistency_column(scores, org, tolerance) == expected


@given(department_data, st.sampled_from(["weighted_mean", "mean", "sum"]), st.data())
def test_summary_column_equals_compute_summary(p: dict, aggregation: str, data: Any) -> None:  # type: ignore[type-arg]
    from cxprogram.rollup.columns import summary_column, weight_column

    depts = sorted(p)
    scores = np.array([p[d][0] for d in depts])
    weights = weight_column(np.array([p[d][1] for d in depts]), "volume")
    tolerance = data.draw(st.none() | st.floats(0, 2))
    expected = compute_summary(
        dict(zip(depts, scores.tolist(), strict=True)),
        dict(zip(depts, weights.tolist(), strict=True)), aggregation, tolerance,
    )  # fmt: skip
    assert summary_column(scores, weights, aggregation, tolerance) == expected


@given(
    st.lists(st.floats(0, 10), max_size=20),
    st.none() | st.floats(0, 10),
    st.none() | st.floats(0, 1),
    st.booleans(),
)
def test_status_column_equals_compute_status(
    scores: list[float], target: float | None, tolerance: float | None, higher: bool
) -> None:
    from cxprogram.rollup.columns import status_column

    expected = [compute_status(s, target, tolerance, higher) for s in scores]
    assert status_column(np.array(scores, dtype=np.float64), target, tolerance, higher) == expected


def test_trend_signal_limits_by_hand() -> None:
    # history 4.0, 4.2, 4.1, 4.3: center 4.15, moving ranges 0.2, 0.1, 0.2 -> mean 0.1666...
    signal = compute_trend_signal([4.0, 4.2, 4.1, 4.3, 4.8])
    assert signal.center == pytest.approx(4.15, abs=1e-12)
    assert signal.upper == pytest.approx(4.15 + 2.66 * 0.5 / 3, abs=1e-12)
    assert signal.lower == pytest.approx(4.15 - 2.66 * 0.5 / 3, abs=1e-12)
    assert signal.signal == "above"  # 4.8 > 4.5933...


@given(department_data, department_data, st.sampled_from(["weighted_mean", "mean", "sum"]))
def test_shift_share_columns_equal_compute_decomposition(
    p0: dict,
    p1: dict,
    aggregation: str,  # type: ignore[type-arg]
) -> None:
    from cxprogram.rollup.columns import shift_share_columns, weight_column

    depts = sorted(p1)
    p0 = {d: p0.get(d, p1[d]) for d in depts}  # the same departments in both periods
    if not depts:
        return
    columns = []
    for p in (p0, p1):
        scores = np.array([p[d][0] for d in depts])
        columns += [scores, weight_column(np.array([p[d][1] for d in depts]), "volume")]
    s0, w0, s1, w1 = columns

    def mapping(column: Any) -> dict[str, float]:
        return dict(zip(depts, column.tolist(), strict=True))

    expected = compute_decomposition(
        PeriodScores(mapping(s0), mapping(w0)), PeriodScores(mapping(s1), mapping(w1)), aggregation
    )
    result = shift_share_columns(s0, w0, s1, w1, aggregation)
    assert (result["delta"], result["rate"], result["mix"]) == (
        expected.delta, expected.rate, expected.mix,
    )  # fmt: skip
    parts = result["parts"]
    assert list(zip(parts["rate"], parts["mix"], parts["total"], strict=True)) == [
        (p.rate, p.mix, p.total) for p in expected.parts
    ]


cache_rows = st.lists(
    st.tuples(
        st.integers(1, 4), st.integers(1, 30), st.floats(0, 1e6), st.sampled_from([0.0, 12.0]),
        st.floats(0, 500), st.integers(1, 40),
    ),
    unique_by=lambda r: (r[0], r[1]),
    max_size=40,
)  # fmt: skip


@given(cache_rows, st.randoms())
def test_cache_record_round_trip_and_digest(rows: list, rng: Any) -> None:  # type: ignore[type-arg]
    from cxprogram.rollup.cache import pack, unpack

    shuffled = rows[:]
    rng.shuffle(shuffled)
    record, digest = pack(rows)
    assert pack(shuffled) == (record, digest)  # independent of the order rows come in
    decoded = unpack(record)
    for metric, dept, w, t, p, c in rows:
        columns = decoded[metric]
        k = list(columns.department_ids).index(dept)
        agg = DepartmentAggregate("X", w, t, p, c)
        for aggregation in ("weighted_mean", "mean", "sum"):
            scores, volumes = columns.scores(aggregation)
            expected = compute_department_score(agg, aggregation)
            assert (scores[k], volumes[k]) == (expected.score, expected.n)
    if rows:
        changed = [*rows[1:], (*rows[0][:5], rows[0][5] + 1)]
        assert pack(changed)[1] != digest  # one count more: another digest
        assert pack(rows[1:])[1] != digest  # one department fewer: another digest


def test_expand_rollup_gives_an_entry_per_department() -> None:
    from cxprogram.rollup.compose import LAYOUT, expand_rollup

    trend = {"signal": ["none", None], "center": [4.1, None], "lower": [3.9, None],
             "upper": [4.3, None]}  # fmt: skip
    stored = {
        "layout": LAYOUT, "period": "FY2024-Q2", "previous_period": "FY2024-Q1",
        "metrics": {"satisfaction": {
            "org_score": 4.2,
            "departments": {"code": ["A", "B"], "score": [4.0, 4.4], "n": [10.0, 30.0],
                            "weight": [0.25, 0.75], "status": ["red", "green"], "trend": trend},
            "decomposition": {"delta": 0.1, "rate": 0.08, "mix": 0.02, "departments": {
                "code": ["A", "B"], "rate": [0.03, 0.05], "mix": [0.01, 0.01],
                "total": [0.04, 0.06]}},
        }},
    }  # fmt: skip
    document = expand_rollup(stored)
    assert "layout" not in document and document["period"] == "FY2024-Q2"
    block = document["metrics"]["satisfaction"]
    assert block["departments"]["B"] == {
        "score": 4.4, "n": 30.0, "weight": 0.75, "status": "green",
        "trend": {"signal": None, "center": None, "lower": None, "upper": None},
        "variation": None,  # stored without variation columns
    }  # fmt: skip
    assert block["departments"]["A"]["trend"]["center"] == 4.1
    assert block["decomposition"]["departments"]["A"] == {"rate": 0.03, "mix": 0.01, "total": 0.04}
    assert block["decomposition"]["delta"] == 0.1
    # a snapshot stored before the columns layout is already in the SPEC 6 shape
    older = {"period": "FY2020-Q1", "metrics": {"x": {"departments": {"A": {"score": 1.0}}}}}
    assert expand_rollup(older) is older


def test_expand_rollup_gives_each_department_its_variation() -> None:
    from cxprogram.rollup.compose import LAYOUT, expand_rollup

    trend = {"signal": ["above", None], "center": [4.1, None], "lower": [3.9, None],
             "upper": [4.3, None]}  # fmt: skip
    variation = {"variation": ["improvement", None], "rule": ["outside", None],
                 "side": ["high", None], "assurance": ["hit or miss", None],
                 "baseline_points": [5, 2], "values": [[4.0, 4.5], [None, 4.4]]}  # fmt: skip
    stored = {
        "layout": LAYOUT, "period": "FY2024-Q2", "previous_period": "FY2024-Q1",
        "periods": ["FY2024-Q1", "FY2024-Q2"], "metrics": {"satisfaction": {
            "org_score": 4.2, "decomposition": None, "variation": {"rule": None},
            "departments": {"code": ["A", "B"], "score": [4.5, 4.4], "n": [10.0, 30.0],
                            "weight": [0.25, 0.75], "status": ["green", "green"],
                            "trend": trend, "variation": variation},
        }},
    }  # fmt: skip
    departments = expand_rollup(stored)["metrics"]["satisfaction"]["departments"]
    assert departments["A"]["variation"] == {
        "variation": "improvement", "rule": "outside", "side": "high",
        "assurance": "hit or miss", "center": 4.1, "lpl": 3.9, "upl": 4.3,
        "baseline_points": 5, "values": [4.0, 4.5],
    }  # fmt: skip
    assert departments["B"]["variation"]["baseline_points"] == 2
    assert departments["B"]["variation"]["values"] == [None, 4.4]
    assert departments["B"]["variation"]["center"] is None
