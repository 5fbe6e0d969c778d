"""Column-at-a-time equivalents of two calc functions, for many departments at once. Pure.

Each gives bit-for-bit the result of its calc counterpart (the unit tests check this with
hypothesis); they only avoid building one dataclass per department and period.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from operator import sub

from cxprogram.rollup.calc import XMR_FACTOR, XMR_MIN_HISTORY


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


def column_weights(
    departments: Sequence[str], volumes: Sequence[float], weighting: str
) -> dict[str, float]:
    """calc.compute_weights over parallel columns of departments and their N_d."""
    if not departments:
        return {}
    total = math.fsum(volumes)
    if weighting == "equal" or total <= 0:
        return dict.fromkeys(departments, 1.0 / len(departments))
    return {d: n / total for d, n in zip(departments, volumes, strict=True)}


def trend_signal(history: Sequence[float], last: float) -> dict[str, float | str | None]:
    """calc.compute_trend_signal(list(history) + [last]) as the rollup's JSON block."""
    count = len(history)
    if count < XMR_MIN_HISTORY:
        return {"signal": None, "center": None, "lower": None, "upper": None}
    center = math.fsum(history) / count
    moving_range = math.fsum(map(abs, map(sub, history[1:], history))) / (count - 1)
    lower, upper = center - XMR_FACTOR * moving_range, center + XMR_FACTOR * moving_range
    signal = "above" if last > upper else "below" if last < lower else "none"
    return {"signal": signal, "center": center, "lower": lower, "upper": upper}
