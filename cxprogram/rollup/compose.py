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
)
from cxprogram.rollup.columns import (
    TREND_KEYS,
    FloatColumn,
    shift_share_columns,
    status_column,
    summary_column,
    trend_by_department,
    weight_column,
)

# the stored form of compose_rollup; snapshots stored before it have no "layout" key
LAYOUT = "columns"
DEPARTMENT_FIELDS = ("score", "n", "weight", "status")
PART_FIELDS = ("rate", "mix", "total")
DISPERSION_FIELDS = tuple(f.name for f in fields(Dispersion))


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


def compose_metric(metric: MetricInput, inputs: RollupInputs) -> dict[str, Any]:
    """One metric's block of the rollup."""
    by_period = inputs.scores.get(metric.code, {})
    index = inputs.period_index
    current = _weighted(metric, by_period.get(index))
    previous = _weighted(metric, by_period.get(index - 1))
    summary = _summary(metric, current)
    dispersion = summary.dispersion
    block: dict[str, Any] = {
        "org_score": summary.org_score,
        "weighting": metric.weighting,
        "aggregation": metric.aggregation,
        "target": metric.target,
        "tolerance": metric.tolerance,
        "n_departments": len(current.columns.departments) if current else 0,
        **(vars(dispersion) if dispersion else dict.fromkeys(DISPERSION_FIELDS)),
        "consistency": summary.consistency,
        "departments": _departments(metric, current, by_period, index) if current else {},
        "decomposition": _decomposition(metric, previous, current),
        "convergence": vars(compute_convergence(_summary(metric, previous), summary))
        if previous else None,
    }  # fmt: skip
    return block


def _summary(metric: MetricInput, weighted: _Weighted | None) -> Summary:
    """The organization score, dispersion and consistency share of one period."""
    if weighted is None:
        return Summary(None, None, None)
    return summary_column(
        weighted.columns.scores, weighted.weights, metric.aggregation, metric.tolerance
    )


def _departments(
    metric: MetricInput, current: _Weighted, by_period: dict[int, DepartmentColumns], index: int
) -> dict[str, Any]:
    """The department entries, stored as columns (expand_rollup makes them entries again)."""
    columns = current.columns
    return {
        "code": list(columns.departments),
        "score": columns.scores.tolist(),
        "n": columns.volumes.tolist(),
        "weight": current.weights.tolist(),
        "status": status_column(
            columns.scores, metric.target, metric.tolerance, metric.higher_is_better
        ),
        "trend": trend_by_department(
            columns.departments,
            columns.scores,
            [(c.departments, c.scores) for i, c in by_period.items() if i < index],
        ),
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
    standard = [
        metrics[m.code]["consistency"]
        for m in inputs.metrics
        if m.is_standard and metrics[m.code]["n_departments"]
    ]
    return {
        "layout": LAYOUT,
        "period": inputs.period,
        "previous_period": inputs.periods.get(inputs.period_index - 1),
        "consistency_index": compute_consistency_index(standard),
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
    """A stored rollup in the shape of SPEC 6: an entry per department, keyed by its code."""
    if stored.get("layout") != LAYOUT:
        return stored  # stored before the columns layout: already in that shape
    metrics = {}
    for code, block in stored["metrics"].items():
        decomposition = block["decomposition"]
        if decomposition is not None:
            parts = decomposition["departments"]
            decomposition = {**decomposition, "departments": _entries(parts, PART_FIELDS)}
        metrics[code] = {
            **block,
            "departments": _entries(block["departments"], DEPARTMENT_FIELDS, TREND_KEYS),
            "decomposition": decomposition,
        }
    return {**{k: v for k, v in stored.items() if k != "layout"}, "metrics": metrics}


def _entries(
    columns: dict[str, Any], fields: tuple[str, ...], trend: tuple[str, ...] = ()
) -> dict[str, dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        dict(zip(fields, values, strict=True))
        for values in zip(*(columns[f] for f in fields), strict=True)
    ]
    if trend:
        signals = zip(*(columns["trend"][k] for k in trend), strict=True)
        for row, values in zip(rows, signals, strict=True):
            row["trend"] = dict(zip(trend, values, strict=True))
    return dict(zip(columns["code"], rows, strict=True))
