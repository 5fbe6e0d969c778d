"""The rollup mathematics of SPEC section 4, one department at a time: the reference.

Pure: no Flask, no SQLAlchemy, no clock. Inputs are per-department aggregates that the
database computes (sums over observations) or scores by department; outputs are frozen
dataclasses. Every function is deterministic and independent of the order in which
departments are given.

columns.py does the same for all departments at once with numpy, bit for bit equal to these
functions (tests/unit/test_rollup_calc.py checks each pair); a period's rollup
(rollup/compose.py) takes its department scores, weights, summaries, trends and
shift-share from there. In production this module serves:
- metrics/reds.py and metrics/calc.py: one department's score (4.1) and status (4.5);
- rollup/compose.py: the consistency index (4.4), convergence (4.4), the shift-share when
  the two periods' departments differ (4.6) and strategy effects with their window (4.7);
- rollup/compose.py: variation and assurance (4.9) of the organization series;
- rollup/columns.py: the dispersion from sorted scores, the XmR constants and the rules of
  4.9 for every department series at once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

XMR_FACTOR = 2.66
XMR_MIN_HISTORY = 4
TWO_SIGMA_FACTOR = 2 / 3 * XMR_FACTOR  # the two-sigma lines of SPEC 4.9: c +/- (2/3) 2.66 mr
RUN_POINTS = 7  # v_(T-6) .. v_T: the points of the trend and shift rules
EFFECT_WINDOW = 2  # k of SPEC 4.7
PLACEBO_MIN_DEPARTMENTS = 5  # E of SPEC 4.7: fewer compared departments, no "how unusual"


@dataclass(frozen=True)
class DepartmentAggregate:
    """Sums over one department's observations of one metric in one period.

    weighted_sum and weight_total run over observations with n > 0 only (n_i x_i, n_i);
    plain_sum and count over all of them.
    """

    department: str
    weighted_sum: float
    weight_total: float
    plain_sum: float
    count: int


@dataclass(frozen=True)
class DepartmentScore:
    """s_d and N_d of SPEC 4.1."""

    department: str
    score: float
    n: float


@dataclass(frozen=True)
class Dispersion:
    """Spread of department scores (SPEC 4.3)."""

    mean: float
    sd: float
    cv: float | None
    min: float
    max: float
    range: float
    iqr: float


@dataclass(frozen=True)
class DecompositionPart:
    """One department's part of the change in the overall score (SPEC 4.6)."""

    department: str
    rate: float
    mix: float

    @property
    def total(self) -> float:
        """rate + mix."""
        return self.rate + self.mix


@dataclass(frozen=True)
class Decomposition:
    """The change S1 - S0 split into rate and mix parts per department."""

    delta: float
    rate: float
    mix: float
    parts: tuple[DecompositionPart, ...]


@dataclass(frozen=True)
class Effect:
    """Difference-in-differences effect of a strategy (SPEC 4.7)."""

    status: str  # "estimated" or "insufficient data"
    pre: float | None = None
    post: float | None = None
    control_pre: float | None = None
    control_post: float | None = None
    effect: float | None = None
    weight: float | None = None
    contribution: float | None = None
    pre_periods: int = 0
    post_periods: int = 0
    compared_departments: int = 0  # E: the other departments with data before and after
    unusual: float | None = None  # percent of |placebo_e| below |effect|; None when E < 5


@dataclass(frozen=True)
class TrendSignal:
    """The last value against XmR limits over the preceding values (SPEC 4.8)."""

    signal: str | None  # "above", "below", "none" or None when history is too short
    center: float | None = None
    lower: float | None = None
    upper: float | None = None


def compute_department_score(agg: DepartmentAggregate, aggregation: str) -> DepartmentScore:
    """s_d and N_d for weighted_mean, mean or sum aggregation."""
    if aggregation == "sum":
        return DepartmentScore(agg.department, agg.plain_sum, float(agg.count))
    if aggregation == "weighted_mean" and agg.weight_total > 0:
        return DepartmentScore(
            agg.department, agg.weighted_sum / agg.weight_total, agg.weight_total
        )
    return DepartmentScore(agg.department, agg.plain_sum / agg.count, float(agg.count))


def compute_weights(scores: Iterable[DepartmentScore], weighting: str) -> dict[str, float]:
    """w_d: N_d / sum N for volume weighting, 1/D for equal weighting."""
    scores = list(scores)
    if not scores:
        return {}
    total = math.fsum(s.n for s in scores)
    if weighting == "equal" or total <= 0:
        return {s.department: 1.0 / len(scores) for s in scores}
    return {s.department: s.n / total for s in scores}


def compute_org_score(
    scores: Mapping[str, float], weights: Mapping[str, float], aggregation: str
) -> float | None:
    """S = sum w_d s_d (or sum s_d for metrics aggregated by sum); None without data."""
    if not scores:
        return None
    if aggregation == "sum":
        return math.fsum(scores.values())
    return math.fsum(weights[d] * s for d, s in scores.items())


def _percentile(ordered: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks, as numpy's default."""
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def compute_dispersion(values: Iterable[float]) -> Dispersion | None:
    """Mean, population sd, cv, min, max, range and iqr of department scores."""
    ordered = sorted(values)
    if not ordered:
        return None
    mean = math.fsum(ordered) / len(ordered)
    sd = math.sqrt(math.fsum((v - mean) * (v - mean) for v in ordered) / len(ordered))
    return sorted_dispersion(ordered, mean, sd)


def sorted_dispersion(ordered: Sequence[float], mean: float, sd: float) -> Dispersion:
    """The dispersion of scores given in ascending order, with their mean and sd."""
    return Dispersion(
        mean=mean,
        sd=sd,
        cv=sd / abs(mean) if mean != 0 else None,
        min=ordered[0],
        max=ordered[-1],
        range=ordered[-1] - ordered[0],
        iqr=_percentile(ordered, 0.75) - _percentile(ordered, 0.25),
    )


def compute_consistency(
    scores: Iterable[float], org: float, tolerance: float | None
) -> float | None:
    """Share (percent) of departments within the tolerance of the organization score."""
    scores = list(scores)
    if tolerance is None or not scores:
        return None
    within = sum(1 for s in scores if abs(s - org) <= tolerance)
    return 100.0 * within / len(scores)


def compute_consistency_index(shares: Iterable[float | None]) -> float | None:
    """Plain mean of the consistency shares of the standard metrics that have one."""
    present = [s for s in shares if s is not None]
    return math.fsum(present) / len(present) if present else None


@dataclass(frozen=True)
class Summary:
    """The organization score, dispersion and consistency share of one metric in one period."""

    org_score: float | None
    dispersion: Dispersion | None
    consistency: float | None


def compute_summary(
    scores: Mapping[str, float], weights: Mapping[str, float], aggregation: str,
    tolerance: float | None,
) -> Summary:  # fmt: skip
    """S (4.2), the dispersion (4.3) and the consistency share (4.4) of department scores."""
    org = compute_org_score(scores, weights, aggregation)
    consistency = compute_consistency(scores.values(), org, tolerance) if org is not None else None
    return Summary(org, compute_dispersion(scores.values()), consistency)


@dataclass(frozen=True)
class Convergence:
    """cv and consistency share against the previous period (SPEC 4.4)."""

    previous_cv: float | None
    previous_consistency: float | None
    cv_change: float | None
    consistency_change: float | None


def compute_convergence(previous: Summary, current: Summary) -> Convergence:
    """This period's cv and consistency share minus the previous period's (None if either is)."""
    cv0 = previous.dispersion.cv if previous.dispersion else None
    cv1 = current.dispersion.cv if current.dispersion else None
    consistency0 = previous.consistency
    return Convergence(
        cv0, consistency0, _change(cv0, cv1), _change(consistency0, current.consistency)
    )


def _change(before: float | None, after: float | None) -> float | None:
    return after - before if after is not None and before is not None else None


def compute_status(
    score: float, target: float | None, tolerance: float | None, higher_is_better: bool
) -> str | None:
    """green when the target is met, amber within the tolerance, red otherwise."""
    if target is None:
        return None
    shortfall = (target - score) if higher_is_better else (score - target)
    if shortfall <= 0:
        return "green"
    if tolerance is not None and shortfall <= tolerance:
        return "amber"
    return "red"


@dataclass(frozen=True)
class PeriodScores:
    """Department scores and weights of one metric in one period."""

    scores: Mapping[str, float]
    weights: Mapping[str, float]


def compute_decomposition(
    previous: PeriodScores, current: PeriodScores, aggregation: str
) -> Decomposition:
    """Symmetric shift-share: sum of rate + mix over departments equals S1 - S0 exactly."""
    departments = sorted(set(previous.scores) | set(current.scores))
    if aggregation == "sum":
        parts = tuple(
            DecompositionPart(d, current.scores.get(d, 0.0) - previous.scores.get(d, 0.0), 0.0)
            for d in departments
        )
        delta = math.fsum(current.scores.values()) - math.fsum(previous.scores.values())
        return Decomposition(delta, math.fsum(p.rate for p in parts), 0.0, parts)
    s0_org = math.fsum(previous.weights[d] * s for d, s in previous.scores.items())
    s1_org = math.fsum(current.weights[d] * s for d, s in current.scores.items())
    s_bar = (s0_org + s1_org) / 2
    parts = tuple(_shift_share_part(d, previous, current, s_bar) for d in departments)
    return Decomposition(
        delta=s1_org - s0_org,
        rate=math.fsum(p.rate for p in parts),
        mix=math.fsum(p.mix for p in parts),
        parts=parts,
    )


def _shift_share_part(
    department: str, previous: PeriodScores, current: PeriodScores, s_bar: float
) -> DecompositionPart:
    w0, w1 = previous.weights.get(department, 0.0), current.weights.get(department, 0.0)
    s0 = previous.scores.get(department, current.scores.get(department, 0.0))
    s1 = current.scores.get(department, s0)
    rate = (w0 + w1) / 2 * (s1 - s0)
    mix = ((s0 + s1) / 2 - s_bar) * (w1 - w0)
    return DecompositionPart(department, rate, mix)


def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values)


def _running_mean(values: Sequence[float]) -> float:
    """The mean with the values added left to right. XmR limits are a chart's guide lines,
    not totals; this order is the one columns.trend_columns uses for every department at
    once, so that both give the same bits."""
    total = values[0]
    for value in values[1:]:
        total += value
    return total / len(values)


@dataclass(frozen=True)
class EffectWindow:
    """The period indexes before and from a strategy's effective period (SPEC 4.7)."""

    pre: range
    post: range

    @property
    def periods(self) -> tuple[int, ...]:
        """The pre then the post periods."""
        return (*self.pre, *self.post)


def compute_effect_window(
    effective_index: int, window: int = EFFECT_WINDOW, last_index: int | None = None
) -> EffectWindow:
    """pre t0-k .. t0-1 and post t0 .. t0+k-1, without the periods after last_index."""
    end = last_index + 1 if last_index is not None else effective_index + window
    return EffectWindow(
        range(effective_index - window, min(effective_index, end)),
        range(effective_index, min(effective_index + window, end)),
    )


def compute_effect(
    department: str,
    series: Mapping[int, PeriodScores],
    effective_index: int,
    window: int = EFFECT_WINDOW,
    last_index: int | None = None,
) -> Effect:
    """Difference in differences of a strategy's department against the others.

    series maps a period index to that period's scores and weights; periods after
    last_index are ignored (a snapshot never looks ahead).
    """

    def kept(indexes: range) -> list[int]:
        return [p for p in indexes if p in series and department in series[p].scores]

    periods = compute_effect_window(effective_index, window, last_index)
    pre, post = kept(periods.pre), kept(periods.post)
    control = {p: _control(series[p].scores, department) for p in pre + post}
    control_pre = [c for p in pre if (c := control[p]) is not None]
    control_post = [c for p in post if (c := control[p]) is not None]
    if not pre or not post or not control_pre or not control_post:
        return Effect("insufficient data", pre_periods=len(pre), post_periods=len(post))
    pre_mean = _mean([series[p].scores[department] for p in pre])
    post_mean = _mean([series[p].scores[department] for p in post])
    control_change = _mean(control_post) - _mean(control_pre)
    effect = (post_mean - pre_mean) - control_change
    weight = series[post[-1]].weights[department]
    compared, unusual = compute_unusual(department, series, (pre, post), control_change, effect)
    return Effect(
        "estimated", pre_mean, post_mean, _mean(control_pre), _mean(control_post),
        effect, weight, weight * effect, len(pre), len(post), compared, unusual,
    )  # fmt: skip


def compute_unusual(
    department: str,
    series: Mapping[int, PeriodScores],
    kept: tuple[Sequence[int], Sequence[int]],
    control_change: float,
    effect: float,
) -> tuple[int, float | None]:
    """How unusual an effect is (SPEC 4.7): E, the other departments with data in at least
    one kept pre and one kept post period, and the percentage of them whose placebo effect
    (their own change minus the control's) is smaller in size than the effect; None when
    E < 5."""
    pre, post = kept
    others = sorted({e for p in (*pre, *post) for e in series[p].scores if e != department})
    sizes = []
    for other in others:
        before = [s[other] for p in pre if other in (s := series[p].scores)]
        after = [s[other] for p in post if other in (s := series[p].scores)]
        if before and after:
            sizes.append(abs((_mean(after) - _mean(before)) - control_change))
    if len(sizes) < PLACEBO_MIN_DEPARTMENTS:
        return len(sizes), None
    smaller = sum(1 for size in sizes if size < abs(effect))
    return len(sizes), 100.0 * smaller / len(sizes)


def _control(scores: Mapping[str, float], department: str) -> float | None:
    others = [s for d, s in scores.items() if d != department]
    return _mean(others) if others else None


def compute_trend_signal(values: Sequence[float]) -> TrendSignal:
    """XmR chart: the last value against mean +/- 2.66 x mean moving range of the ones before."""
    history, last = list(values[:-1]), values[-1] if values else None
    if last is None or len(history) < XMR_MIN_HISTORY:
        return TrendSignal(None)
    center = _running_mean(history)
    moving_range = _running_mean([abs(b - a) for a, b in zip(history, history[1:], strict=False)])
    lower, upper = center - XMR_FACTOR * moving_range, center + XMR_FACTOR * moving_range
    signal = "above" if last > upper else "below" if last < lower else "none"
    return TrendSignal(signal, center, lower, upper)


@dataclass(frozen=True)
class Variation:
    """Variation and assurance of a series read on its last point (SPEC 4.9); every field
    None when the baseline (the values before the last) has fewer than four values."""

    variation: str | None = None  # "common cause", "improvement" or "concern"
    rule: str | None = None  # "trend", "shift", "two of three" or "outside"
    side: str | None = None  # "high" or "low"
    assurance: str | None = None  # "pass", "fail" or "hit or miss"; None without a target
    center: float | None = None
    lpl: float | None = None
    upl: float | None = None
    baseline_points: int = 0


def compute_variation(
    values: Sequence[float], higher_is_better: bool, target: float | None
) -> Variation:
    """The rules of SPEC 4.9 on the last value, against the limits of the values before it."""
    baseline = list(values[:-1])
    if len(baseline) < XMR_MIN_HISTORY:
        return Variation(baseline_points=len(baseline))
    center = _running_mean(baseline)
    moving_range = _running_mean([abs(b - a) for a, b in pairwise(baseline)])
    lpl, upl = center - XMR_FACTOR * moving_range, center + XMR_FACTOR * moving_range
    found = _special_cause(values, center, TWO_SIGMA_FACTOR * moving_range, (lpl, upl))
    rule, side = found if found else (None, None)
    return Variation(
        variation=_variation_word(side, higher_is_better),
        rule=rule,
        side=side,
        assurance=compute_assurance(target, lpl, upl, higher_is_better),
        center=center,
        lpl=lpl,
        upl=upl,
        baseline_points=len(baseline),
    )


def _special_cause(
    values: Sequence[float], center: float, two_sigma: float, limits: tuple[float, float]
) -> tuple[str, str] | None:
    """The first rule that holds on the last value, with its side: trend, shift, two of
    three, outside (SPEC 4.9). Needs at least three values (the baseline has four)."""
    run = values[-RUN_POINTS:]
    if len(run) == RUN_POINTS:
        if all(b > a for a, b in pairwise(run)):
            return "trend", "high"
        if all(b < a for a, b in pairwise(run)):
            return "trend", "low"
        if all(v > center for v in run):
            return "shift", "high"
        if all(v < center for v in run):
            return "shift", "low"
    *earlier, last = values[-3:]
    high, low = center + two_sigma, center - two_sigma
    if last > high and any(v > high for v in earlier):
        return "two of three", "high"
    if last < low and any(v < low for v in earlier):
        return "two of three", "low"
    if last > limits[1]:
        return "outside", "high"
    if last < limits[0]:
        return "outside", "low"
    return None


def _variation_word(side: str | None, higher_is_better: bool) -> str:
    if side is None:
        return "common cause"
    return "improvement" if (side == "high") == higher_is_better else "concern"


def compute_assurance(
    target: float | None, lpl: float, upl: float, higher_is_better: bool
) -> str | None:
    """pass when the target lies beyond the limit on the worse side (the process meets it
    every time), fail beyond the better side, else hit or miss; None without a target."""
    if target is None:
        return None
    if higher_is_better:
        return "pass" if target <= lpl else "fail" if target >= upl else "hit or miss"
    return "pass" if target >= upl else "fail" if target <= lpl else "hit or miss"


@dataclass(frozen=True)
class JudgedStandard:
    """One service standard's observations in a period, pooled (SPEC 4.1), with what judges
    them: the standard's own target and its metric's direction."""

    department: str
    standard: str
    aggregate: DepartmentAggregate
    aggregation: str
    target: float
    higher_is_better: bool


def compute_standard_is_met(judged: JudgedStandard) -> bool:
    """Whether a standard's pooled value meets its own target (SPEC 4.5): the status rule of
    compute_status, green against the standard's target."""
    value = compute_department_score(judged.aggregate, judged.aggregation).score
    return compute_status(value, judged.target, None, judged.higher_is_better) == "green"


def compute_standards_met(standards: Iterable[JudgedStandard]) -> dict[str, DepartmentAggregate]:
    """standards_met_d as the aggregate of a weighted-mean metric (SPEC 4.5): per department,
    100 x (standards met) over N_d = the standards judged, so 4.1 gives s_d = 100 met / N_d
    and the organization's volume-weighted score is the share of all standards met."""
    counts: dict[str, list[int]] = {}
    for judged in standards:
        count = counts.setdefault(judged.department, [0, 0])
        count[0] += compute_standard_is_met(judged)
        count[1] += 1
    return {
        dept: DepartmentAggregate(dept, 100.0 * met, float(total), 100.0 * met, total)
        for dept, (met, total) in sorted(counts.items())
    }
