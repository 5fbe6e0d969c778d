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

from cxprogram.rollup.calc import XMR_FACTOR, XMR_MIN_HISTORY, Dispersion, sorted_dispersion

FloatColumn = npt.NDArray[np.float64]
NO_TREND: dict[str, Any] = {"signal": None, "center": None, "lower": None, "upper": None}


def score_columns(
    weighted_sums: Sequence[float],
    weight_totals: Sequence[float],
    plain_sums: Sequence[float],
    counts: Sequence[int],
) -> dict[str, list[float]]:
    """calc.compute_department_score for each aggregation, over parallel aggregate columns:
    the weighted-mean score and N, the plain mean, the plain sum and the count (as N)."""
    rows = list(zip(weighted_sums, weight_totals, plain_sums, counts, strict=True))
    return {
        "wm_score": [w / t if t > 0 else p / c for w, t, p, c in rows],
        "wm_n": [t if t > 0 else float(c) for _, t, _, c in rows],
        "mean_score": [p / c for _, _, p, c in rows],
        "plain_sum": list(plain_sums),
        "count": [float(c) for c in counts],
    }


def weight_column(volumes: FloatColumn, weighting: str) -> FloatColumn:
    """calc.compute_weights over a column of N_d (same order)."""
    if not len(volumes):
        return np.zeros(0)
    total = math.fsum(volumes.tolist())
    if weighting == "equal" or total <= 0:
        return np.full(len(volumes), 1.0 / len(volumes))
    return volumes / total


def column_weights(
    departments: Sequence[str], volumes: Sequence[float], weighting: str
) -> dict[str, float]:
    """calc.compute_weights over parallel columns of departments and their N_d."""
    weights = weight_column(np.asarray(volumes, dtype=np.float64), weighting)
    return dict(zip(departments, weights.tolist(), strict=True))


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


def trend_columns(history: FloatColumn, last: FloatColumn) -> list[dict[str, Any]]:
    """calc.compute_trend_signal for each column of history (rows: the earlier periods in
    order, one column per department) with its last value, as the rollup's JSON blocks."""
    count = history.shape[0]
    if count < XMR_MIN_HISTORY:
        return [dict(NO_TREND) for _ in range(len(last))]
    center = _running_sum(history) / count
    moving_range = _running_sum(np.abs(history[1:] - history[:-1])) / (count - 1)
    lower, upper = center - XMR_FACTOR * moving_range, center + XMR_FACTOR * moving_range
    signal = np.where(last > upper, "above", np.where(last < lower, "below", "none"))
    return [
        {"signal": s, "center": c, "lower": lo, "upper": up}
        for s, c, lo, up in zip(
            signal.tolist(), center.tolist(), lower.tolist(), upper.tolist(), strict=True
        )
    ]


def trend_lists(histories: Sequence[Sequence[float]], last: FloatColumn) -> list[dict[str, Any]]:
    """trend_columns for departments whose histories differ in length (some did not report
    in every earlier period): one matrix per length."""
    out = [dict(NO_TREND) for _ in histories]
    by_length: dict[int, list[int]] = {}
    for k, history in enumerate(histories):
        by_length.setdefault(len(history), []).append(k)
    for length, members in by_length.items():
        if length < XMR_MIN_HISTORY:
            continue
        matrix = np.array([histories[k] for k in members], dtype=np.float64)
        for k, block in zip(members, trend_columns(matrix.T, last[members]), strict=True):
            out[k] = block
    return out


def _running_sum(matrix: FloatColumn) -> FloatColumn:
    """Each column's sum, rows added in order (calc._running_mean's order)."""
    total: FloatColumn = matrix[0].copy()
    for row in matrix[1:]:
        total += row
    return total


def shift_share_columns(
    s0: FloatColumn, w0: FloatColumn, s1: FloatColumn, w1: FloatColumn, aggregation: str
) -> dict[str, Any]:
    """calc.compute_decomposition for departments present in both periods (same order), as
    the rollup's JSON block without its department names: rate, mix and total per row."""
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
        "parts": list(zip(rates, mixes, (rate + mix).tolist(), strict=True)),
    }
