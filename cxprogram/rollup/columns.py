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
from typing import Any

import numpy as np
import numpy.typing as npt

from cxprogram.rollup.calc import (
    XMR_FACTOR,
    XMR_MIN_HISTORY,
    Dispersion,
    Summary,
    sorted_dispersion,
)

FloatColumn = npt.NDArray[np.float64]
TREND_KEYS = ("signal", "center", "lower", "upper")


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


def trend_columns(history: FloatColumn, last: FloatColumn) -> dict[str, list[Any]]:
    """calc.compute_trend_signal for each column of history (rows: the earlier periods in
    order, one column per department) with its last value: TREND_KEYS, each a column."""
    count = history.shape[0]
    if count < XMR_MIN_HISTORY:
        return {key: [None] * len(last) for key in TREND_KEYS}
    center = _running_sum(history) / count
    moving_range = _running_sum(np.abs(history[1:] - history[:-1])) / (count - 1)
    lower, upper = center - XMR_FACTOR * moving_range, center + XMR_FACTOR * moving_range
    signal = np.where(last > upper, "above", np.where(last < lower, "below", "none"))
    return {
        "signal": signal.tolist(),
        "center": center.tolist(),
        "lower": lower.tolist(),
        "upper": upper.tolist(),
    }


def trend_lists(histories: Sequence[Sequence[float]], last: FloatColumn) -> dict[str, list[Any]]:
    """trend_columns for departments whose histories differ in length (some did not report
    in every earlier period): one matrix per length."""
    out: dict[str, list[Any]] = {key: [None] * len(histories) for key in TREND_KEYS}
    by_length: dict[int, list[int]] = {}
    for k, history in enumerate(histories):
        by_length.setdefault(len(history), []).append(k)
    for length, members in by_length.items():
        if length < XMR_MIN_HISTORY:
            continue
        matrix = np.array([histories[k] for k in members], dtype=np.float64)
        found = trend_columns(matrix.T, last[members])
        for key in TREND_KEYS:
            for k, value in zip(members, found[key], strict=True):
                out[key][k] = value
    return out


def trend_by_department(
    departments: Sequence[str],
    scores: FloatColumn,
    earlier: Sequence[tuple[Sequence[str], FloatColumn]],
) -> dict[str, list[Any]]:
    """calc.compute_trend_signal for each department (scores: this period's, same order) over
    its scores in the earlier periods, given in order as (departments, scores) columns."""
    if all(tuple(codes) == tuple(departments) for codes, _ in earlier):
        history = np.array([column for _, column in earlier], dtype=np.float64)
        return trend_columns(history.reshape(len(earlier), len(departments)), scores)
    position = {dept: k for k, dept in enumerate(departments)}
    histories: list[list[float]] = [[] for _ in departments]
    for codes, column in earlier:
        for dept, score in zip(codes, column.tolist(), strict=True):
            k = position.get(dept)
            if k is not None:
                histories[k].append(score)
    return trend_lists(histories, scores)


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
