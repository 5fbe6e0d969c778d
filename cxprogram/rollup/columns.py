"""Column-at-a-time equivalents of calc functions, for many departments at once. Pure.

Each gives bit for bit the result of its calc counterpart (the unit tests check this with
hypothesis): numpy does the same IEEE operations per element, in the same order, as calc
does per department, and totals that calc takes with math.fsum (correctly rounded, so in
any order) are taken with math.fsum here too. The XmR sums run left to right in both.
They only avoid building a dataclass and a dictionary per department and period.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from cxprogram.rollup.calc import (
    RUN_POINTS,
    TWO_SIGMA_FACTOR,
    XMR_FACTOR,
    XMR_MIN_HISTORY,
    Dispersion,
    Summary,
    sorted_dispersion,
)

FloatColumn = npt.NDArray[np.float64]
TREND_KEYS = ("signal", "center", "lower", "upper")
# calc.Variation's fields but the limits, which are the trend's center, lower and upper
VARIATION_KEYS = ("variation", "rule", "side", "assurance", "baseline_points")
SERIES_KEYS = TREND_KEYS + VARIATION_KEYS


def score_columns(
    weighted_sums: Sequence[float] | FloatColumn,
    weight_totals: Sequence[float] | FloatColumn,
    plain_sums: Sequence[float] | FloatColumn,
    counts: Sequence[int] | npt.NDArray[np.int64],
) -> dict[str, FloatColumn]:
    """calc.compute_department_score for each aggregation, over parallel aggregate columns:
    the weighted-mean score and N, the plain mean, the plain sum and the count (as N)."""
    w, t, p = (np.asarray(c, dtype=np.float64) for c in (weighted_sums, weight_totals, plain_sums))
    n = np.asarray(counts, dtype=np.float64)
    has_n = t > 0
    mean = p / n
    return {
        "wm_score": np.where(has_n, w / np.where(has_n, t, 1.0), mean),
        "wm_n": np.where(has_n, t, n),
        "mean_score": mean,
        "plain_sum": p,
        "count": n,
    }


def weight_column(volumes: FloatColumn, weighting: str) -> FloatColumn:
    """calc.compute_weights over a column of N_d (same order)."""
    if not len(volumes):
        return np.zeros(0)
    total = math.fsum(volumes.tolist())
    if weighting == "equal" or total <= 0:
        return np.full(len(volumes), 1.0 / len(volumes))
    return volumes / total


def org_score_column(scores: FloatColumn, weights: FloatColumn, aggregation: str) -> float | None:
    """calc.compute_org_score over columns of s_d and w_d (same order)."""
    if not len(scores):
        return None
    if aggregation == "sum":
        return math.fsum(scores.tolist())
    return math.fsum((weights * scores).tolist())


def dispersion_column(scores: FloatColumn) -> Dispersion | None:
    """calc.compute_dispersion over a column of department scores."""
    if not len(scores):
        return None
    ordered = np.sort(scores)
    values = ordered.tolist()
    mean = math.fsum(values) / len(values)
    deviations = ordered - mean
    sd = math.sqrt(math.fsum((deviations * deviations).tolist()) / len(values))
    return sorted_dispersion(values, mean, sd)


def consistency_column(scores: FloatColumn, org: float, tolerance: float | None) -> float | None:
    """calc.compute_consistency over a column of department scores."""
    if tolerance is None or not len(scores):
        return None
    within = int(np.count_nonzero(np.abs(scores - org) <= tolerance))
    return 100.0 * within / len(scores)


def summary_column(
    scores: FloatColumn, weights: FloatColumn, aggregation: str, tolerance: float | None
) -> Summary:
    """calc.compute_summary over columns of s_d and w_d (same order)."""
    org = org_score_column(scores, weights, aggregation)
    consistency = consistency_column(scores, org, tolerance) if org is not None else None
    return Summary(org, dispersion_column(scores), consistency)


def status_column(
    scores: FloatColumn, target: float | None, tolerance: float | None, higher_is_better: bool
) -> list[str | None]:
    """calc.compute_status for each department score."""
    if target is None:
        return [None] * len(scores)
    shortfall = (target - scores) if higher_is_better else (scores - target)
    amber = shortfall <= tolerance if tolerance is not None else np.zeros(len(scores), bool)
    status = np.where(shortfall <= 0, "green", np.where(amber, "amber", "red"))
    return status.tolist()  # type: ignore[no-any-return]


def standards_met_column(
    scores: FloatColumn, targets: FloatColumn, higher_is_better: npt.NDArray[np.bool_]
) -> npt.NDArray[np.bool_]:
    """calc.compute_standard_is_met for each standard: its pooled score against its own
    target, in its metric's direction."""
    return np.where(higher_is_better, scores >= targets, scores <= targets)


@dataclass(frozen=True)
class StandardColumns:
    """Parallel columns over the standards judged in one period: each one's department id,
    the SPEC 4.1 sums of its observations, its metric's aggregation and direction, and its
    own target."""

    department_ids: Sequence[int]
    weighted_sums: Sequence[float]
    weight_totals: Sequence[float]
    plain_sums: Sequence[float]
    counts: Sequence[int]
    aggregations: Sequence[str]
    targets: Sequence[float]
    higher_is_better: Sequence[bool]


def standards_met_columns(standards: StandardColumns) -> list[tuple[int, float, float]]:
    """calc.compute_standards_met over columns: (department id, 100 x met, N_d) by id."""
    if not standards.department_ids:
        return []
    columns = score_columns(
        standards.weighted_sums, standards.weight_totals, standards.plain_sums, standards.counts
    )
    aggregation = np.asarray(standards.aggregations)
    scores = np.where(
        aggregation == "weighted_mean",
        columns["wm_score"],
        np.where(aggregation == "sum", columns["plain_sum"], columns["mean_score"]),
    )
    met = standards_met_column(
        scores, np.asarray(standards.targets, np.float64), np.asarray(standards.higher_is_better)
    )
    ids, where = np.unique(np.asarray(standards.department_ids, np.int64), return_inverse=True)
    met_counts = np.bincount(where, weights=met.astype(np.float64), minlength=len(ids))
    totals = np.bincount(where, minlength=len(ids)).astype(np.float64)
    return list(zip(ids.tolist(), (100.0 * met_counts).tolist(), totals.tolist(), strict=True))


def series_columns(
    matrix: FloatColumn, higher_is_better: bool, target: float | None
) -> dict[str, list[Any]]:
    """calc.compute_trend_signal and calc.compute_variation for each column of matrix (rows:
    a series' values in order, the last row the value read): SERIES_KEYS, each a column.
    The trend's center, lower and upper are the variation's center, lpl and upl."""
    count, width = matrix.shape
    baseline = count - 1
    if baseline < XMR_MIN_HISTORY:
        return {
            **{key: [None] * width for key in SERIES_KEYS},
            "baseline_points": [baseline] * width,
        }
    history, last = matrix[:-1], matrix[-1]
    center = _running_sum(history) / baseline
    moving_range = _running_sum(np.abs(history[1:] - history[:-1])) / (baseline - 1)
    lower, upper = center - XMR_FACTOR * moving_range, center + XMR_FACTOR * moving_range
    # each text column as an index into a table of the words (one lookup, no string arrays)
    signal = (last > upper) + 2 * (last < lower)
    found = _special_cause_columns(matrix, center, TWO_SIGMA_FACTOR * moving_range, (lower, upper))
    words = VARIATION_WORDS[higher_is_better]
    return {
        "signal": SIGNALS[signal].tolist(),
        "center": center.tolist(),
        "lower": lower.tolist(),
        "upper": upper.tolist(),
        "variation": words[found].tolist(),
        "rule": RULES[found].tolist(),
        "side": SIDES[found].tolist(),
        "assurance": _assurance_column(target, lower, upper, higher_is_better),
        "baseline_points": [baseline] * width,
    }


SIGNALS = np.array(["none", "above", "below"], dtype=object)
# the conditions of _special_cause_columns in calc's order, then "no rule holds"
RULES = np.array(
    [*(r for r in ("trend", "shift", "two of three", "outside") for _ in "hl"), None], dtype=object
)
SIDES = np.array(["high", "low"] * 4 + [None], dtype=object)
VARIATION_WORDS = {
    better: np.array(
        [("improvement" if (side == "high") == better else "concern") for side in SIDES[:-1]]
        + ["common cause"], dtype=object,
    )
    for better in (True, False)
}  # fmt: skip


def _special_cause_columns(
    matrix: FloatColumn,
    center: FloatColumn,
    two_sigma: FloatColumn,
    limits: tuple[FloatColumn, FloatColumn],
) -> npt.NDArray[np.intp]:
    """calc._special_cause for each column: the position in RULES and SIDES of the first
    condition that holds, in calc's order (the last position: none holds)."""
    width = matrix.shape[1]
    run = matrix[-RUN_POINTS:]
    conditions = np.zeros((len(RULES), width), dtype=bool)
    if len(run) == RUN_POINTS:
        steps = run[1:] - run[:-1]
        conditions[0] = (steps > 0).all(0)
        conditions[1] = (steps < 0).all(0)
        conditions[2] = (run > center).all(0)
        conditions[3] = (run < center).all(0)
    last, earlier = matrix[-1], matrix[-3:-1]
    high, low = center + two_sigma, center - two_sigma
    conditions[4] = (last > high) & (earlier > high).any(0)
    conditions[5] = (last < low) & (earlier < low).any(0)
    conditions[6] = last > limits[1]
    conditions[7] = last < limits[0]
    conditions[8] = True
    return conditions.argmax(0)  # type: ignore[no-any-return]


def _assurance_column(
    target: float | None, lower: FloatColumn, upper: FloatColumn, higher_is_better: bool
) -> list[str | None]:
    """calc.compute_assurance for each pair of limits."""
    if target is None:
        return [None] * len(lower)
    worse, better = (lower, upper) if higher_is_better else (upper, lower)
    passes = target <= worse if higher_is_better else target >= worse
    fails = target >= better if higher_is_better else target <= better
    return ASSURANCES[np.where(passes, 0, np.where(fails, 1, 2))].tolist()  # type: ignore[no-any-return]


ASSURANCES = np.array(["pass", "fail", "hit or miss"], dtype=object)


def series_lists(
    series: Sequence[Sequence[float]], higher_is_better: bool, target: float | None
) -> dict[str, list[Any]]:
    """series_columns for series of different lengths (departments that did not report in
    every period): one matrix per length."""
    out: dict[str, list[Any]] = {key: [None] * len(series) for key in SERIES_KEYS}
    by_length: dict[int, list[int]] = {}
    for k, values in enumerate(series):
        by_length.setdefault(len(values), []).append(k)
    for length, members in by_length.items():
        matrix = np.array([series[k] for k in members], dtype=np.float64).reshape(-1, length)
        found = series_columns(matrix.T, higher_is_better, target)
        for key in SERIES_KEYS:
            for k, value in zip(members, found[key], strict=True):
                out[key][k] = value
    return out


@dataclass(frozen=True)
class SeriesInput:
    """A metric's department scores of one period (period index, codes, scores in their
    order), and the same of the periods before it with data, in order."""

    index: int
    departments: tuple[str, ...]
    scores: FloatColumn
    earlier: Sequence[tuple[int, Sequence[str], FloatColumn]]


def department_series(
    data: SeriesInput, axis: Sequence[int], higher_is_better: bool, target: float | None
) -> dict[str, list[Any]]:
    """series_columns for each department of the period over its scores in the periods
    with data up to this one: SERIES_KEYS, and "values", each department's scores in the
    axis periods (None where it has none)."""
    if all(tuple(codes) == data.departments for _, codes, _ in data.earlier):
        rows = [column for _, _, column in data.earlier] + [data.scores]
        matrix = np.array(rows, dtype=np.float64).reshape(len(rows), len(data.departments))
        found = series_columns(matrix, higher_is_better, target)
        row_of = {index: k for k, (index, _, _) in enumerate(data.earlier)}
        row_of[data.index] = len(data.earlier)
        return {**found, "values": _axis_rows(matrix, row_of, axis)}
    position = {dept: k for k, dept in enumerate(data.departments)}
    found_at: list[dict[int, float]] = [{} for _ in data.departments]
    for index, codes, column in data.earlier:
        for dept, score in zip(codes, column.tolist(), strict=True):
            k = position.get(dept)
            if k is not None:
                found_at[k][index] = score
    for k, score in enumerate(data.scores.tolist()):
        found_at[k][data.index] = score
    series = [list(by_index.values()) for by_index in found_at]
    values = [[by_index.get(i) for i in axis] for by_index in found_at]
    return {**series_lists(series, higher_is_better, target), "values": values}


def _axis_rows(matrix: FloatColumn, row_of: dict[int, int], axis: Sequence[int]) -> list[Any]:
    """Each column's values in the axis periods, None in a period without a row."""
    picked = [row_of.get(i) for i in axis]
    if None not in picked:
        return matrix[np.array(picked, dtype=np.intp)].T.tolist()  # type: ignore[no-any-return]
    columns = [matrix[k].tolist() if k is not None else None for k in picked]
    width = matrix.shape[1]
    return [[c[j] if c is not None else None for c in columns] for j in range(width)]


def _running_sum(matrix: FloatColumn) -> FloatColumn:
    """Each column's sum, rows added in order (calc._running_mean's order)."""
    total: FloatColumn = matrix[0].copy()
    for row in matrix[1:]:
        total += row
    return total


def shift_share_columns(
    s0: FloatColumn, w0: FloatColumn, s1: FloatColumn, w1: FloatColumn, aggregation: str
) -> dict[str, Any]:
    """calc.compute_decomposition for departments present in both periods (same order):
    the totals, and the parts as columns of rate, mix and total."""
    if aggregation == "sum":
        rate = s1 - s0
        mix = np.zeros(len(rate))
        delta = math.fsum(s1.tolist()) - math.fsum(s0.tolist())
    else:
        s0_org, s1_org = math.fsum((w0 * s0).tolist()), math.fsum((w1 * s1).tolist())
        s_bar = (s0_org + s1_org) / 2
        rate = (w0 + w1) / 2 * (s1 - s0)
        mix = ((s0 + s1) / 2 - s_bar) * (w1 - w0)
        delta = s1_org - s0_org
    rates, mixes = rate.tolist(), mix.tolist()
    return {
        "delta": delta,
        "rate": math.fsum(rates),
        "mix": math.fsum(mixes),
        "parts": {"rate": rates, "mix": mixes, "total": (rate + mix).tolist()},
    }
