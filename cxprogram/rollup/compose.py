"""Assemble one period's rollup (the JSON of SPEC section 6) from plain inputs. Pure.

No arithmetic of its own: the numbers come from columns.py (all departments at once) and
calc.py (the one-department reference); this module picks the inputs and lays out the
document.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields
from functools import cached_property
from typing import Any

from cxprogram.core.fiscal import ANNUAL
from cxprogram.rollup.calc import (
    EFFECT_WINDOW,
    Dispersion,
    PeriodScores,
    Summary,
    compute_consistency_index,
    compute_convergence,
    compute_decomposition,
    compute_effect,
    compute_effect_window,
    compute_variation,
)
from cxprogram.rollup.columns import (
    TREND_KEYS,
    VARIATION_KEYS,
    FloatColumn,
    SeriesInput,
    department_series,
    org_score_column,
    shift_share_columns,
    status_column,
    summary_column,
    weight_column,
)

# the stored form of compose_rollup; snapshots stored before the columns layout have no
# "layout" key, those stored before variation and assurance (SPEC 4.9) have "columns"
LAYOUT = "columns/2"
COLUMN_LAYOUTS = ("columns", LAYOUT)
AXIS_PERIODS = 12  # the top-level "periods": the last twelve, the x axis of every series
INDEX_MIN_DEPARTMENTS = 3  # SPEC 4.4: a share over one or two departments is left out
DEPARTMENT_FIELDS = ("score", "n", "weight", "status")
PART_FIELDS = ("rate", "mix", "total")
DISPERSION_FIELDS = tuple(f.name for f in fields(Dispersion))
QUARTERS_A_YEAR = 4


@dataclass(frozen=True)
class MetricInput:
    """What the rollup needs to know of a metric definition."""

    code: str
    aggregation: str
    weighting: str
    target: float | None
    tolerance: float | None
    higher_is_better: bool
    is_standard: bool
    frequency: str = "quarterly"  # annual: compared with the previous year, yearly series

    @property
    def step(self) -> int:
        """How many periods back its previous value is: a year for an annual metric."""
        return QUARTERS_A_YEAR if self.frequency == ANNUAL else 1


@dataclass(frozen=True)
class StrategyInput:
    """A strategy with an effective period and its linked metrics."""

    strategy_id: int
    department: str
    effective_period: str
    effective_index: int
    metrics: tuple[str, ...]


@dataclass(frozen=True)
class DepartmentColumns:
    """One metric's department scores s_d and volumes N_d in one period, as parallel columns
    in the order of the department codes (never empty)."""

    departments: tuple[str, ...]
    scores: FloatColumn
    volumes: FloatColumn
    org_score: float | None = None  # S of these columns when the cache record holds it


@dataclass(frozen=True)
class RollupInputs:
    """Everything a period's rollup depends on; its hash decides whether a snapshot is new."""

    period: str
    period_index: int
    periods: dict[int, str]  # index -> label, every period up to and including this one
    metrics: tuple[MetricInput, ...]
    scores: dict[str, dict[int, DepartmentColumns]]  # metric -> index (ascending) -> columns
    strategies: tuple[StrategyInput, ...]
    # what the scores were derived from: per-period aggregate digests, id -> code maps,
    # departments left out; the hash covers these instead of re-reading every value
    sources: dict[str, Any]

    def digest(self) -> str:
        """SHA-256 of a canonical JSON form of the inputs."""
        data: dict[str, Any] = {
            "layout": LAYOUT,  # a new layout recomputes the open periods' snapshots
            "period": self.period,
            "periods": {str(k): v for k, v in self.periods.items()},
            "metrics": [asdict(m) for m in self.metrics],
            "strategies": [asdict(s) for s in self.strategies],
            "sources": self.sources,
        }
        text = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class _Weighted:
    """One metric's columns in one period with their weights (and both as calc's mappings,
    made only when asked: only strategy effects and uneven department sets need them)."""

    columns: DepartmentColumns
    weights: FloatColumn

    @cached_property
    def scores(self) -> PeriodScores:
        """The scores and weights by department."""
        departments = self.columns.departments
        return PeriodScores(
            dict(zip(departments, self.columns.scores.tolist(), strict=True)),
            dict(zip(departments, self.weights.tolist(), strict=True)),
        )


def _weighted(metric: MetricInput, columns: DepartmentColumns | None) -> _Weighted | None:
    if columns is None:
        return None
    return _Weighted(columns, weight_column(columns.volumes, metric.weighting))


NO_SCORES = PeriodScores({}, {})


def period_scores(metric: MetricInput, columns: DepartmentColumns | None) -> PeriodScores:
    """A period's scores and weights of one metric (empty without data)."""
    weighted = _weighted(metric, columns)
    return weighted.scores if weighted else NO_SCORES


def metric_series(metric: MetricInput, inputs: RollupInputs) -> dict[int, DepartmentColumns]:
    """A metric's columns by period index: an annual metric's in the years' last quarters
    only (SPEC 3: its values belong there), so its trends are built on yearly values."""
    by_period = inputs.scores.get(metric.code, {})
    if metric.step == 1:
        return by_period
    last = QUARTERS_A_YEAR - 1  # FiscalQuarter.index of a Q4, modulo 4
    return {i: c for i, c in by_period.items() if i % QUARTERS_A_YEAR == last}


def compose_metric(metric: MetricInput, inputs: RollupInputs) -> dict[str, Any]:
    """One metric's block of the rollup; it compares with the previous period of its
    frequency (an annual metric with the previous year)."""
    by_period = metric_series(metric, inputs)
    index = inputs.period_index
    current = _weighted(metric, by_period.get(index))
    previous = _weighted(metric, by_period.get(index - metric.step))
    summary = _summary(metric, current)
    dispersion = summary.dispersion
    axis = axis_indexes(inputs)
    block: dict[str, Any] = {
        "org_score": summary.org_score,
        "weighting": metric.weighting,
        "aggregation": metric.aggregation,
        "target": metric.target,
        "tolerance": metric.tolerance,
        "higher_is_better": metric.higher_is_better,
        "is_standard": metric.is_standard,
        "frequency": metric.frequency,
        "compared_with": inputs.periods.get(index - metric.step) if previous else None,
        "n_departments": len(current.columns.departments) if current else 0,
        **(vars(dispersion) if dispersion else dict.fromkeys(DISPERSION_FIELDS)),
        "consistency": summary.consistency,
        "variation": _org_variation(metric, by_period, index, axis) if current else None,
        "departments": _departments(metric, current, by_period, (index, axis)) if current else {},
        "decomposition": _decomposition(metric, previous, current),
        "convergence": vars(compute_convergence(_summary(metric, previous), summary))
        if previous else None,
    }  # fmt: skip
    return block


def axis_indexes(inputs: RollupInputs) -> list[int]:
    """The indexes of the last AXIS_PERIODS periods up to and including this one."""
    return sorted(i for i in inputs.periods if i <= inputs.period_index)[-AXIS_PERIODS:]


def _org_variation(
    metric: MetricInput, by_period: dict[int, DepartmentColumns], index: int, axis: list[int]
) -> dict[str, Any]:
    """SPEC 4.9 on the organization's series S over the periods with data up to this one,
    with its values in the axis periods."""
    series: dict[int, float] = {}
    for i, columns in by_period.items():
        if i > index:
            break
        org = columns.org_score
        if org is None:
            weights = weight_column(columns.volumes, metric.weighting)
            org = org_score_column(columns.scores, weights, metric.aggregation)
        series[i] = org  # type: ignore[assignment]
    found = compute_variation(list(series.values()), metric.higher_is_better, metric.target)
    return {**vars(found), "values": [series.get(i) for i in axis]}


def _summary(metric: MetricInput, weighted: _Weighted | None) -> Summary:
    """The organization score, dispersion and consistency share of one period."""
    if weighted is None:
        return Summary(None, None, None)
    return summary_column(
        weighted.columns.scores, weighted.weights, metric.aggregation, metric.tolerance
    )


def _departments(
    metric: MetricInput,
    current: _Weighted,
    by_period: dict[int, DepartmentColumns],
    where: tuple[int, list[int]],
) -> dict[str, Any]:
    """The department entries, stored as columns (expand_rollup makes them entries again);
    the variation's limits are the trend's (the same baseline), stored once."""
    columns = current.columns
    index, axis = where
    earlier = [(i, c.departments, c.scores) for i, c in by_period.items() if i < index]
    series = department_series(
        SeriesInput(index, columns.departments, columns.scores, earlier),
        axis, metric.higher_is_better, metric.target,
    )  # fmt: skip
    return {
        "code": list(columns.departments),
        "score": columns.scores.tolist(),
        "n": columns.volumes.tolist(),
        "weight": current.weights.tolist(),
        "status": status_column(
            columns.scores, metric.target, metric.tolerance, metric.higher_is_better
        ),
        "trend": {key: series[key] for key in TREND_KEYS},
        "variation": {key: series[key] for key in (*VARIATION_KEYS, "values")},
    }


def _decomposition(
    metric: MetricInput, previous: _Weighted | None, current: _Weighted | None
) -> dict[str, Any] | None:
    """The shift-share block, its department parts stored as columns."""
    if previous is None or current is None:
        return None
    departments = current.columns.departments
    if previous.columns.departments == departments:
        result = shift_share_columns(
            previous.columns.scores, previous.weights,
            current.columns.scores, current.weights, metric.aggregation,
        )  # fmt: skip
        parts = result.pop("parts")
        return {**result, "departments": {"code": list(departments), **parts}}
    decomposition = compute_decomposition(previous.scores, current.scores, metric.aggregation)
    return {
        "delta": decomposition.delta,
        "rate": decomposition.rate,
        "mix": decomposition.mix,
        "departments": {
            "code": [p.department for p in decomposition.parts],
            "rate": [p.rate for p in decomposition.parts],
            "mix": [p.mix for p in decomposition.parts],
            "total": [p.total for p in decomposition.parts],
        },
    }


def compose_rollup(inputs: RollupInputs) -> dict[str, Any]:
    """The whole rollup of one period as stored (without the snapshot block, which the store
    adds): per metric, the department entries and shift-share parts are kept as columns,
    one list per field, which is smaller and quicker to build; expand_rollup gives the
    SPEC 6 shape."""
    metrics = {metric.code: compose_metric(metric, inputs) for metric in inputs.metrics}
    with_tolerance = [m.code for m in inputs.metrics if m.is_standard and m.tolerance is not None]
    counted = [
        code for code in with_tolerance
        if metrics[code]["n_departments"] >= INDEX_MIN_DEPARTMENTS
    ]  # fmt: skip
    for code, block in metrics.items():
        block["counted_in_index"] = code in counted
    return {
        "layout": LAYOUT,
        "period": inputs.period,
        "previous_period": inputs.periods.get(inputs.period_index - 1),
        "periods": [inputs.periods[i] for i in axis_indexes(inputs)],
        "consistency_index": compute_consistency_index(metrics[c]["consistency"] for c in counted),
        "consistency_coverage": {
            "metrics": counted,
            "count": len(counted),
            "of": len(with_tolerance),
        },
        "metrics": {code: block for code, block in metrics.items() if block["n_departments"]},
        "strategy_effects": _effects(inputs),
    }


def _window_series(
    metric: MetricInput | None, inputs: RollupInputs, periods: tuple[int, ...]
) -> dict[int, PeriodScores]:
    """A metric's scores and weights in the given periods (only those periods are read)."""
    if metric is None:
        return {}
    by_period = inputs.scores.get(metric.code, {})
    return {i: period_scores(metric, by_period[i]) for i in periods if i in by_period}


def _effects(inputs: RollupInputs) -> list[dict[str, Any]]:
    effects = []
    metrics = {m.code: m for m in inputs.metrics}
    for strategy in sorted(inputs.strategies, key=lambda s: s.strategy_id):
        if strategy.effective_index > inputs.period_index:
            continue
        window = compute_effect_window(
            strategy.effective_index, EFFECT_WINDOW, last_index=inputs.period_index
        )
        for code in strategy.metrics:
            series = _window_series(metrics.get(code), inputs, window.periods)
            effect = compute_effect(
                strategy.department, series, strategy.effective_index,
                EFFECT_WINDOW, last_index=inputs.period_index,
            )  # fmt: skip
            effects.append(
                {
                    "strategy_id": strategy.strategy_id,
                    "department": strategy.department,
                    "metric": code,
                    "effective_period": strategy.effective_period,
                    **asdict(effect),
                }
            )
    return effects


def expand_rollup(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored rollup in the shape of SPEC 6: an entry per department, keyed by its code.

    A snapshot stored before variation and assurance (layout "columns") has no "variation"
    objects: they are None, like the coverage and the axis it lacks."""
    if stored.get("layout") not in COLUMN_LAYOUTS:
        return stored  # stored before the columns layout: already in that shape
    metrics = {}
    for code, block in stored["metrics"].items():
        decomposition = block["decomposition"]
        if decomposition is not None:
            parts = decomposition["departments"]
            decomposition = {**decomposition, "departments": _entries(parts, PART_FIELDS)}
        metrics[code] = {
            "variation": None,
            "counted_in_index": None,
            **block,
            "departments": _department_entries(block["departments"]),
            "decomposition": decomposition,
        }
    return {
        "periods": [],
        "consistency_coverage": None,
        **{k: v for k, v in stored.items() if k != "layout"},
        "metrics": metrics,
    }


def _department_entries(columns: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The department columns as an entry per department, with its trend and variation."""
    entries = _entries(columns, DEPARTMENT_FIELDS)
    trend = columns["trend"]
    signals = zip(*(trend[k] for k in TREND_KEYS), strict=True)
    for row, values in zip(entries.values(), signals, strict=True):
        row["trend"] = dict(zip(TREND_KEYS, values, strict=True))
        row["variation"] = None
    variation = columns.get("variation")
    if variation is None:
        return entries
    keys = (*VARIATION_KEYS, "values")
    for row, values in zip(
        entries.values(), zip(*(variation[k] for k in keys), strict=True), strict=True
    ):
        found = dict(zip(keys, values, strict=True))
        limits = row["trend"]
        row["variation"] = {
            "variation": found["variation"], "rule": found["rule"], "side": found["side"],
            "assurance": found["assurance"], "center": limits["center"],
            "lpl": limits["lower"], "upl": limits["upper"],
            "baseline_points": found["baseline_points"], "values": found["values"],
        }  # fmt: skip
    return entries


def _entries(columns: dict[str, Any], fields: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        dict(zip(fields, values, strict=True))
        for values in zip(*(columns[f] for f in fields), strict=True)
    ]
    return dict(zip(columns["code"], rows, strict=True))
