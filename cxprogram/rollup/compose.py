"""Assemble one period's rollup (the JSON of SPEC section 6) from plain inputs. Pure."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from cxprogram.rollup.calc import (
    DepartmentAggregate,
    PeriodScores,
    compute_consistency,
    compute_consistency_index,
    compute_decomposition,
    compute_department_score,
    compute_dispersion,
    compute_effect,
    compute_org_score,
    compute_status,
    compute_trend_signal,
    compute_weights,
)

EFFECT_WINDOW = 2


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
class RollupInputs:
    """Everything a period's rollup depends on; its hash decides whether a snapshot is new."""

    period: str
    period_index: int
    periods: dict[int, str]  # index -> label, every period up to and including this one
    metrics: tuple[MetricInput, ...]
    aggregates: dict[str, dict[int, tuple[DepartmentAggregate, ...]]]  # metric -> index -> aggs
    strategies: tuple[StrategyInput, ...]

    def digest(self) -> str:
        """SHA-256 of a canonical JSON form of the inputs."""
        data: dict[str, Any] = {
            "period": self.period,
            "periods": {str(k): v for k, v in self.periods.items()},
            "metrics": [asdict(m) for m in self.metrics],
            "strategies": [asdict(s) for s in self.strategies],
            # plain tuples: asdict() per aggregate costs seconds at 500,000 observations
            "aggregates": {
                m: {
                    str(i): sorted(
                        (a.department, a.weighted_sum, a.weight_total, a.plain_sum, a.count)
                        for a in aggs
                    )
                    for i, aggs in by.items()
                }
                for m, by in self.aggregates.items()
            },
        }
        text = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def _period_scores(
    metric: MetricInput, aggs: tuple[DepartmentAggregate, ...]
) -> tuple[PeriodScores, dict[str, float]]:
    scores = [compute_department_score(a, metric.aggregation) for a in aggs]
    weights = compute_weights(scores, metric.weighting)
    return PeriodScores({s.department: s.score for s in scores}, weights), {
        s.department: s.n for s in scores
    }


def compose_metric(
    metric: MetricInput, inputs: RollupInputs
) -> tuple[dict[str, Any], dict[int, PeriodScores]]:
    """One metric's block of the rollup, and its score series for the effects."""
    series: dict[int, PeriodScores] = {}
    volumes: dict[int, dict[str, float]] = {}
    for index, aggs in inputs.aggregates.get(metric.code, {}).items():
        series[index], volumes[index] = _period_scores(metric, aggs)
    current = series.get(inputs.period_index, PeriodScores({}, {}))
    org = compute_org_score(current.scores, current.weights, metric.aggregation)
    dispersion = compute_dispersion(current.scores.values())
    block: dict[str, Any] = {
        "org_score": org,
        "weighting": metric.weighting,
        "aggregation": metric.aggregation,
        "target": metric.target,
        "tolerance": metric.tolerance,
        "n_departments": len(current.scores),
        **(asdict(dispersion) if dispersion else dict.fromkeys(
            ("mean", "sd", "cv", "min", "max", "range", "iqr"))),
        "consistency": compute_consistency(current.scores.values(), org, metric.tolerance)
        if org is not None else None,
        "departments": _departments(metric, current, volumes.get(inputs.period_index, {}), series),
        "decomposition": _decomposition(metric, series, inputs.period_index),
    }  # fmt: skip
    previous = series.get(inputs.period_index - 1)
    block["convergence"] = _convergence(metric, previous, block)
    return block, series


def _departments(
    metric: MetricInput,
    current: PeriodScores,
    volumes: dict[str, float],
    series: dict[int, PeriodScores],
) -> dict[str, Any]:
    out = {}
    for dept in sorted(current.scores):
        history = [series[i].scores[dept] for i in sorted(series) if dept in series[i].scores]
        trend = compute_trend_signal(history)
        out[dept] = {
            "score": current.scores[dept],
            "n": volumes[dept],
            "weight": current.weights[dept],
            "status": compute_status(
                current.scores[dept], metric.target, metric.tolerance, metric.higher_is_better
            ),
            "trend": asdict(trend),
        }
    return out


def _decomposition(
    metric: MetricInput, series: dict[int, PeriodScores], index: int
) -> dict[str, Any] | None:
    previous, current = series.get(index - 1), series.get(index)
    if previous is None or current is None:
        return None
    result = compute_decomposition(previous, current, metric.aggregation)
    return {
        "delta": result.delta,
        "rate": result.rate,
        "mix": result.mix,
        "departments": {
            p.department: {"rate": p.rate, "mix": p.mix, "total": p.total} for p in result.parts
        },
    }


def _convergence(
    metric: MetricInput, previous: PeriodScores | None, block: dict[str, Any]
) -> dict[str, Any] | None:
    if previous is None or not previous.scores:
        return None
    org0 = compute_org_score(previous.scores, previous.weights, metric.aggregation)
    dispersion0 = compute_dispersion(previous.scores.values())
    consistency0 = (
        compute_consistency(previous.scores.values(), org0, metric.tolerance)
        if org0 is not None
        else None
    )
    cv0 = dispersion0.cv if dispersion0 else None
    return {
        "previous_cv": cv0,
        "previous_consistency": consistency0,
        "cv_change": block["cv"] - cv0 if block["cv"] is not None and cv0 is not None else None,
        "consistency_change": block["consistency"] - consistency0
        if block["consistency"] is not None and consistency0 is not None else None,
    }  # fmt: skip


def compose_rollup(inputs: RollupInputs) -> dict[str, Any]:
    """The whole rollup of one period (without the snapshot block, which the store adds)."""
    metrics: dict[str, Any] = {}
    all_series: dict[str, dict[int, PeriodScores]] = {}
    for metric in inputs.metrics:
        metrics[metric.code], all_series[metric.code] = compose_metric(metric, inputs)
    standard = [
        metrics[m.code]["consistency"]
        for m in inputs.metrics
        if m.is_standard and metrics[m.code]["n_departments"]
    ]
    return {
        "period": inputs.period,
        "previous_period": inputs.periods.get(inputs.period_index - 1),
        "consistency_index": compute_consistency_index(standard),
        "metrics": {code: block for code, block in metrics.items() if block["n_departments"]},
        "strategy_effects": _effects(inputs, all_series),
    }


def _effects(
    inputs: RollupInputs, all_series: dict[str, dict[int, PeriodScores]]
) -> list[dict[str, Any]]:
    effects = []
    for strategy in sorted(inputs.strategies, key=lambda s: s.strategy_id):
        if strategy.effective_index > inputs.period_index:
            continue
        for code in strategy.metrics:
            effect = compute_effect(
                strategy.department, all_series.get(code, {}), strategy.effective_index,
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
