"""Variation and assurance (SPEC 4.9) and how unusual an effect is (SPEC 4.7): hand-made
tables, with a separate statement of the rules in plain loops (`_holding`) so that a table
row can say which rules hold besides the one reported; and the column form against calc."""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxprogram.rollup.calc import (
    PeriodScores,
    compute_effect,
    compute_trend_signal,
    compute_unusual,
    compute_variation,
)
from cxprogram.rollup.columns import (
    SERIES_KEYS,
    SeriesInput,
    department_series,
    series_columns,
    series_lists,
)

RISING = [5, 1, 5, 1, 2.0, 2.1, 2.2, 2.3, 2.4, 2.5, 2.6]  # last seven strictly increasing


def _holding(values: list[float]) -> dict[str, str]:
    """Every rule of SPEC 4.9 that holds on the last value, with its side: written apart
    from calc, from the SPEC's words."""
    base = values[:-1]
    c = sum(base) / len(base)
    mr = sum(abs(base[i] - base[i - 1]) for i in range(1, len(base))) / (len(base) - 1)
    upl, lpl, two_up, two_down = c + 2.66 * mr, c - 2.66 * mr, c + 1.7733 * mr, c - 1.7733 * mr
    last, found = values[-1], {}
    if len(values) >= 7:
        run = values[-7:]
        if all(run[i] < run[i + 1] for i in range(6)):
            found["trend"] = "high"
        if all(run[i] > run[i + 1] for i in range(6)):
            found["trend"] = "low"
        if all(v > c for v in run):
            found["shift"] = "high"
        if all(v < c for v in run):
            found["shift"] = "low"
    if last > two_up and (values[-2] > two_up or values[-3] > two_up):
        found["two of three"] = "high"
    if last < two_down and (values[-2] < two_down or values[-3] < two_down):
        found["two of three"] = "low"
    if last > upl:
        found["outside"] = "high"
    if last < lpl:
        found["outside"] = "low"
    return found


def _mirror(values: list[float]) -> list[float]:
    return [10 - v for v in values]


# (name, series, the rule reported, its side, every rule that holds)
TABLE = [
    ("common cause", [4.0, 4.2, 4.0, 4.2, 4.1], None, None, {}),
    ("trend alone", RISING, "trend", "high", {"trend": "high"}),
    ("shift alone", [2, 4, 2, 4, 3.5, 3.4, 3.5, 3.4, 3.5, 3.4, 3.5], "shift", "high",
     {"shift": "high"}),
    ("two of three: the last two", [4, 5] * 6 + [6.6, 6.7], "two of three", "high",
     {"two of three": "high"}),
    ("two of three: v(T-2) and v(T)", [4, 5] * 6 + [6.8, 5.0, 6.9], "two of three", "high",
     {"two of three": "high"}),
    ("outside alone", [4, 5] * 6 + [8.0], "outside", "high", {"outside": "high"}),
    ("trend before shift and two of three", [1, 2] * 3 + [3.0, 3.1, 3.2, 3.3, 3.4, 3.5, 3.6],
     "trend", "high", {"trend": "high", "shift": "high", "two of three": "high"}),
    ("shift before two of three", [1, 2] * 3 + [3.0, 3.2, 3.1, 3.3, 3.2, 3.5, 3.6], "shift",
     "high", {"shift": "high", "two of three": "high"}),
    ("two of three before outside", [4, 5] * 6 + [6.6, 8.0], "two of three", "high",
     {"two of three": "high", "outside": "high"}),
    # six values rising: a trend needs v(T-6), so the next rule that holds is reported
    ("short series: no trend", [1, 2, 3, 4, 5, 6], "two of three", "high",
     {"two of three": "high", "outside": "high"}),
    ("seven values rising", [1, 2, 3, 4, 5, 6, 7], "trend", "high",
     {"trend": "high", "two of three": "high", "outside": "high"}),
    # strictly increasing: one tie breaks the trend
    ("tie breaks the trend", [5, 1, 5, 1, 2.0, 2.1, 2.2, 2.2, 2.4, 2.5, 2.6], None, None, {}),
    # the centre is exactly 3.0 (27 / 9) and the run holds a 3: on the centre is not above
    ("a point on the centre breaks the shift", [0, 4, 0, 4, 3, 4, 4, 4, 4, 4], None, None, {}),
    ("the same just above the centre", [0, 4, 0, 4, 3.5, 4, 4, 4, 4, 4], "shift", "high",
     {"shift": "high"}),
]  # fmt: skip


@pytest.mark.parametrize(("name", "values", "rule", "side", "holding"), TABLE)
def test_rules_in_their_order(
    name: str, values: list[float], rule: str | None, side: str | None, holding: dict[str, str]
) -> None:
    assert _holding(values) == holding, name  # the table says what holds besides
    found = compute_variation(values, higher_is_better=True, target=None)
    assert (found.rule, found.side) == (rule, side), name
    assert found.variation == ("common cause" if rule is None else "improvement")
    mirrored = compute_variation(_mirror(values), higher_is_better=True, target=None)
    low = {"high": "low"}.get(side or "")
    assert (mirrored.rule, mirrored.side) == (rule, low), name
    assert mirrored.variation == ("common cause" if rule is None else "concern")


def test_lower_is_better_swaps_improvement_and_concern() -> None:
    assert compute_variation(RISING, higher_is_better=False, target=None).variation == "concern"
    falling = compute_variation(_mirror(RISING), higher_is_better=False, target=None)
    assert (falling.rule, falling.side, falling.variation) == ("trend", "low", "improvement")


def test_limits_and_two_sigma_lines_by_hand() -> None:
    # baseline 4, 5, 4, 5, 4, 5: centre 4.5, mean moving range 1
    found = compute_variation([4, 5, 4, 5, 4, 5, 6.2], True, None)
    assert found.center == 4.5 and found.baseline_points == 6
    assert (found.lpl, found.upl) == (pytest.approx(4.5 - 2.66), pytest.approx(4.5 + 2.66))
    assert found.rule is None  # 6.2 < 4.5 + 2/3 x 2.66 = 6.2733: not beyond the line
    # 6.3 is beyond that line, but neither of the two values before it is: no rule
    assert compute_variation([4, 5, 4, 5, 4, 5, 6.3], True, None).rule is None


@pytest.mark.parametrize("values", [[], [4.0], [4.0, 4.1, 4.2, 9.0]])
def test_no_variation_with_fewer_than_four_baseline_values(values: list[float]) -> None:
    found = compute_variation(values, True, 4.0)
    assert asdict(found) == {
        "variation": None, "rule": None, "side": None, "assurance": None, "center": None,
        "lpl": None, "upl": None, "baseline_points": max(len(values) - 1, 0),
    }  # fmt: skip


SERIES = [4.0, 4.2, 4.0, 4.2, 4.1]  # centre 4.1, LPL 3.568, UPL 4.632


@pytest.mark.parametrize(
    ("where", "higher", "expected"),
    [
        ("lpl", True, "pass"), ("below lpl", True, "pass"), ("above lpl", True, "hit or miss"),
        ("below upl", True, "hit or miss"), ("upl", True, "fail"), ("above upl", True, "fail"),
        ("upl", False, "pass"), ("above upl", False, "pass"), ("below upl", False, "hit or miss"),
        ("above lpl", False, "hit or miss"), ("lpl", False, "fail"), ("below lpl", False, "fail"),
    ],
)  # fmt: skip
def test_assurance_at_and_around_the_limits(where: str, higher: bool, expected: str) -> None:
    limits = compute_variation(SERIES, higher, None)
    assert limits.lpl is not None and limits.upl is not None
    line = limits.lpl if where.endswith("lpl") else limits.upl
    step = {"below": -math.inf, "above": math.inf}.get(where.split()[0])
    target = math.nextafter(line, step) if step else line
    found = compute_variation(SERIES, higher, target)
    assert found.assurance == expected
    assert (found.lpl, found.upl) == (limits.lpl, limits.upl)


def test_assurance_without_target_and_on_a_flat_baseline() -> None:
    assert compute_variation(SERIES, True, None).assurance is None
    flat = compute_variation([4.0, 4.0, 4.0, 4.0, 4.0], True, 4.0)
    # no variation at all: LPL = UPL = 4, and a target on them is met every time
    assert (flat.lpl, flat.upl, flat.assurance, flat.rule) == (4.0, 4.0, "pass", None)
    assert compute_variation([4.0] * 5, False, 4.0).assurance == "pass"
    assert compute_variation([4.0] * 5, True, 4.01).assurance == "fail"


# --- the column form, bit for bit ------------------------------------------------------

# few distinct values, so that ties, runs and points on the lines come up often
value = st.sampled_from([1.0, 2.0, 3.0, 3.5, 4.0]) | st.floats(-100, 100, allow_nan=False)
targets = st.none() | st.sampled_from([1.0, 3.0, 4.0]) | st.floats(-100, 100)


def _expected(values: list[float], higher: bool, target: float | None) -> dict[str, Any]:
    trend, variation = compute_trend_signal(values), compute_variation(values, higher, target)
    assert (trend.center, trend.lower, trend.upper) == (
        variation.center, variation.lpl, variation.upl,
    )  # fmt: skip
    found = {**asdict(trend), **asdict(variation)}
    return {key: found[key] for key in SERIES_KEYS}


@given(st.integers(1, 14), st.integers(1, 5), st.booleans(), targets, st.data())
def test_series_columns_equal_calc(
    length: int, width: int, higher: bool, target: float | None, data: Any
) -> None:
    rows = data.draw(st.lists(st.lists(value, min_size=width, max_size=width),
                              min_size=length, max_size=length))  # fmt: skip
    matrix = np.array(rows, dtype=np.float64).reshape(length, width)
    found = series_columns(matrix, higher, target)
    for k in range(width):
        expected = _expected(matrix[:, k].tolist(), higher, target)
        assert {key: found[key][k] for key in SERIES_KEYS} == expected


@given(st.lists(st.lists(value, min_size=1, max_size=12), min_size=1, max_size=6), targets)
def test_series_lists_equal_calc(series: list[list[float]], target: float | None) -> None:
    found = series_lists(series, True, target)
    for k, values in enumerate(series):
        assert {key: found[key][k] for key in SERIES_KEYS} == _expected(values, True, target)


codes = st.lists(st.sampled_from([f"D{i}" for i in range(5)]), unique=True)


@given(st.lists(codes, max_size=10), codes.filter(bool), st.booleans(), st.data())
def test_department_series_equal_calc(
    earlier_codes: list[list[str]], current: list[str], same: bool, data: Any
) -> None:
    if same:  # every period with the same departments: the one-matrix path
        earlier_codes = [current for _ in earlier_codes]
    # period indexes with gaps (periods without data), the axis the last six periods
    indexes = sorted(data.draw(st.sets(st.integers(0, 30), min_size=len(earlier_codes) + 1,
                                       max_size=len(earlier_codes) + 1)))  # fmt: skip

    def column(size: int) -> Any:
        return np.array(data.draw(st.lists(value, min_size=size, max_size=size)), np.float64)

    earlier = [(i, tuple(c), column(len(c))) for i, c in zip(indexes, earlier_codes, strict=False)]
    now, scores = indexes[-1], column(len(current))
    axis = list(range(now - 5, now + 1))
    found = department_series(SeriesInput(now, tuple(current), scores, earlier), axis, False, 3.0)
    for k, dept in enumerate(current):
        by_index = {i: float(s[c.index(dept)]) for i, c, s in earlier if dept in c}
        by_index[now] = float(scores[k])
        assert {key: found[key][k] for key in SERIES_KEYS} == _expected(
            list(by_index.values()), False, 3.0
        )
        assert found["values"][k] == [by_index.get(i) for i in axis]


# --- how unusual an effect is (SPEC 4.7) ----------------------------------------------


def _periods(rows: dict[str, list[float | None]]) -> dict[int, PeriodScores]:
    """Department -> its scores in periods 0..3 (None: no data) as the effect reads them."""
    out = {}
    for p in range(4):
        scores = {d: v[p] for d, v in rows.items() if v[p] is not None}
        out[p] = PeriodScores(scores, {d: 1 / len(scores) for d in scores})  # type: ignore[misc]
    return out


def test_unusual_by_hand() -> None:
    # A rises by 1.0; the others are flat, except E1 .. E5 whose own changes are given.
    rows: dict[str, list[float | None]] = {
        "A": [3.0, 3.0, 4.0, 4.0],
        "E1": [3.0, 3.0, 3.1, 3.1], "E2": [3.0, 3.0, 2.5, 2.5], "E3": [3.0, 3.0, 4.5, 4.5],
        "E4": [3.0, None, None, 5.0], "E5": [3.0, 3.0, 3.0, 3.0],
        "E6": [None, None, 3.0, 3.0],  # no data before: not compared
    }  # fmt: skip
    effect = compute_effect("A", _periods(rows), effective_index=2)
    # control: mean of the others per period; pre 3.0, 3.0; post (3.1 + 2.5 + 4.5 + 3 + 3) / 5
    # and (3.1 + 2.5 + 4.5 + 5 + 3 + 3) / 6
    control_change = ((16.1 / 5 + 21.1 / 6) / 2) - 3.0
    assert effect.effect == pytest.approx(1.0 - control_change, abs=1e-12)
    placebos = [0.1, -0.5, 1.5, 2.0, 0.0]  # E1 .. E5: own change (post - pre)
    smaller = sum(abs(p - control_change) < abs(effect.effect or 0) for p in placebos)
    assert (effect.compared_departments, smaller) == (5, 2)
    assert effect.unusual == pytest.approx(100 * smaller / 5)


def test_unusual_needs_five_compared_departments() -> None:
    rows: dict[str, list[float | None]] = {
        "A": [3.0, 3.0, 4.0, 4.0], **{f"E{i}": [3.0, 3.0, 3.0, 3.1] for i in range(4)},
        "F": [None, None, 3.0, 3.0],
    }  # fmt: skip
    effect = compute_effect("A", _periods(rows), effective_index=2)
    assert effect.status == "estimated"
    assert (effect.compared_departments, effect.unusual) == (4, None)
    rows["E4"] = [3.0, 3.0, 3.0, 3.1]
    assert compute_effect("A", _periods(rows), effective_index=2).unusual == 100.0


def test_unusual_counts_only_strictly_smaller_changes() -> None:
    series = _periods({"A": [3.0, 3.0, 4.0, 4.0], **{f"E{i}": [3.0, 3.0, 3.0, 3.0]
                                                     for i in range(5)}})  # fmt: skip
    # every placebo equals -control_change = 0; an effect of 0 is not larger than any
    assert compute_unusual("A", series, ([0, 1], [2, 3]), 0.0, 0.0) == (5, 0.0)
    assert compute_unusual("A", series, ([0, 1], [2, 3]), 0.0, 1.0) == (5, 100.0)


def test_insufficient_data_compares_no_department() -> None:
    rows: dict[str, list[float | None]] = {
        "A": [None, None, 4.0, 4.0],
        **{f"E{i}": [3.0, 3.0, 3.0, 3.0] for i in range(6)},
    }
    effect = compute_effect("A", _periods(rows), effective_index=2)
    assert (effect.status, effect.compared_departments, effect.unusual) == (
        "insufficient data", 0, None,
    )  # fmt: skip
