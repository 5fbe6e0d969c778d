"""Assemble one period's rollup (the JSON of SPEC section 6) from plain inputs. Pure."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from cxprogram.rollup.calc import (
    PeriodScores,
    compute_consistency,
    compute_consistency_index,
    compute_decomposition,
    compute_dispersion,
    compute_effect,
    compute_org_score,
    compute_status,
)
from cxprogram.rollup.columns import column_weights, trend_signal

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
class DepartmentColumns:
    """One metric's department scores s_d and volumes N_d in one period, as parallel columns."""

    departments: tuple[str, ...]
    scores: Sequence[float]
    volumes: Sequence[float]


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


def period_scores(metric: MetricInput, columns: DepartmentColumns | None) -> PeriodScores:
    """A period's scores and weights of one metric (empty without data)."""
    if columns is None:
        return PeriodScores({}, {})
    scores = dict(zip(columns.departments, columns.scores, strict=True))
    return PeriodScores(
        scores, column_weights(columns.departments, columns.volumes, metric.weighting)
    )


def compose_metric(metric: MetricInput, inputs: RollupInputs) -> dict[str, Any]:
    """One metric's block of the rollup."""
    by_period = inputs.scores.get(metric.code, {})
    index = inputs.period_index
    columns = by_period.get(index)
    current = period_scores(metric, columns)
    org = compute_org_score(current.scores, current.weights, metric.aggregation)
    dispersion = compute_dispersion(current.scores.values())
    previous = period_scores(metric, by_period.get(index - 1))
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
        "departments": _departments(metric, current, columns, by_period, index),
        "decomposition": _decomposition(metric, previous, current),
    }  # fmt: skip
    block["convergence"] = _convergence(metric, previous, block)
    return block


def _departments(
    metric: MetricInput,
    current: PeriodScores,
    columns: DepartmentColumns | None,
    by_period: dict[int, DepartmentColumns],
    index: int,
) -> dict[str, Any]:
    if columns is None:
        return {}
    histories = _histories(columns, [c for i, c in by_period.items() if i < index])
    volumes = dict(zip(columns.departments, columns.volumes, strict=True))
    out = {}
    for dept in sorted(current.scores):
        score = current.scores[dept]
        out[dept] = {
            "score": score,
            "n": volumes[dept],
            "weight": current.weights[dept],
            "status": compute_status(
                score, metric.target, metric.tolerance, metric.higher_is_better
            ),
            "trend": trend_signal(histories.get(dept, ()), score),
        }
    return out


def _histories(
    current: DepartmentColumns, earlier: list[DepartmentColumns]
) -> dict[str, Sequence[float]]:
    """Each current department's scores in the earlier periods where it has one, in order."""
    if all(c.departments == current.departments for c in earlier):
        if not earlier:
            return {}
        transposed = zip(*(c.scores for c in earlier), strict=True)
        return dict(zip(current.departments, transposed, strict=True))
    wanted = set(current.departments)
    out: dict[str, list[float]] = {}
    for columns in earlier:
        for dept, score in zip(columns.departments, columns.scores, strict=True):
            if dept in wanted:
                out.setdefault(dept, []).append(score)
    return dict(out)


def _decomposition(
    metric: MetricInput, previous: PeriodScores, current: PeriodScores
) -> dict[str, Any] | None:
    if not previous.scores or not current.scores:
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
    metric: MetricInput, previous: PeriodScores, block: dict[str, Any]
) -> dict[str, Any] | None:
    if not previous.scores:
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
    metrics = {metric.code: compose_metric(metric, inputs) for metric in inputs.metrics}
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
        "strategy_effects": _effects(inputs),
    }


def _window_series(
    metric: MetricInput | None, inputs: RollupInputs, first: int, last: int
) -> dict[int, PeriodScores]:
    """A metric's scores and weights in periods first..last (only those periods are read)."""
    if metric is None:
        return {}
    by_period = inputs.scores.get(metric.code, {})
    return {
        i: period_scores(metric, by_period[i]) for i in range(first, last + 1) if i in by_period
    }


def _effects(inputs: RollupInputs) -> list[dict[str, Any]]:
    effects = []
    metrics = {m.code: m for m in inputs.metrics}
    for strategy in sorted(inputs.strategies, key=lambda s: s.strategy_id):
        if strategy.effective_index > inputs.period_index:
            continue
        first = strategy.effective_index - EFFECT_WINDOW
        last = min(strategy.effective_index + EFFECT_WINDOW - 1, inputs.period_index)
        for code in strategy.metrics:
            series = _window_series(metrics.get(code), inputs, first, last)
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
