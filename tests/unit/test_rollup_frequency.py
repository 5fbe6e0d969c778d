"""The rollup of an annual metric (SPEC 3, 4.6, 4.8, 4.9), pure: it compares with the
previous year's last quarter, not the previous quarter, and its series are the yearly
values; the composed (column) form equals calc's reference functions bit for bit, and a
quarterly metric keeps comparing with the previous quarter."""

from __future__ import annotations

import numpy as np

from cxprogram.core.fiscal import FiscalQuarter
from cxprogram.rollup.calc import PeriodScores, compute_decomposition, compute_variation
from cxprogram.rollup.columns import org_score_column, weight_column
from cxprogram.rollup.compose import DepartmentColumns, MetricInput, RollupInputs, compose_metric

YEARS = {2019: (61.0, 70.0, 55.0), 2020: (64.5, 71.0, 60.0), 2021: (66.0, 73.5, 58.0),
         2022: (70.25, 72.0, 63.0), 2023: (69.0, 75.0, 66.5), 2024: (73.0, 78.5, 64.0)}  # fmt: skip
VOLUMES = {2019: (100, 300, 50), 2020: (120, 310, 40), 2021: (90, 330, 70),
           2022: (150, 290, 60), 2023: (130, 320, 80), 2024: (140, 305, 75)}  # fmt: skip
CODES = ("DOS", "VA", "XYZ")


def _metric(frequency: str) -> MetricInput:
    return MetricInput("m", "weighted_mean", "volume", 70.0, 3.0, True, True, frequency)


def _columns(year: int, scale: float = 1.0) -> DepartmentColumns:
    return DepartmentColumns(
        CODES, np.array(YEARS[year], dtype=np.float64) * scale,
        np.array(VOLUMES[year], dtype=np.float64),
    )  # fmt: skip


def _inputs(metric: MetricInput, period: FiscalQuarter) -> RollupInputs:
    """Values in every Q4 of 2019..2024 and, as a stray, in FY2024-Q3 (an annual metric's
    series must not see it)."""
    scores = {FiscalQuarter(y, 4).index: _columns(y) for y in YEARS}
    scores[FiscalQuarter(2024, 3).index] = _columns(2024, 0.5)
    quarters = [FiscalQuarter(2019, 1).shift(k) for k in range(24)]
    return RollupInputs(
        period=period.label, period_index=period.index,
        periods={q.index: q.label for q in quarters if q <= period}, metrics=(metric,),
        scores={"m": dict(sorted(scores.items()))}, strategies=(), sources={},
    )  # fmt: skip


def _scores(year: int) -> PeriodScores:
    columns = _columns(year)
    weights = weight_column(columns.volumes, "volume")
    return PeriodScores(dict(zip(CODES, YEARS[year], strict=True)),
                        dict(zip(CODES, weights.tolist(), strict=True)))  # fmt: skip


def _org(year: int) -> float:
    columns = _columns(year)
    weights = weight_column(columns.volumes, "volume")
    found = org_score_column(columns.scores, weights, "weighted_mean")
    assert found is not None
    return found


def test_an_annual_metric_compares_with_the_previous_year() -> None:
    period = FiscalQuarter(2024, 4)
    block = compose_metric(_metric("annual"), _inputs(_metric("annual"), period))
    assert block["frequency"] == "annual" and block["compared_with"] == "FY2023-Q4"
    expected = compute_decomposition(_scores(2023), _scores(2024), "weighted_mean")
    dec = block["decomposition"]
    assert dec["delta"] == expected.delta  # bit for bit
    assert dec["rate"] == expected.rate and dec["mix"] == expected.mix
    by_code = {p.department: p for p in expected.parts}
    assert dec["departments"]["rate"] == [by_code[c].rate for c in CODES]
    assert dec["departments"]["mix"] == [by_code[c].mix for c in CODES]


def test_an_annual_metrics_variation_is_on_the_yearly_values() -> None:
    period = FiscalQuarter(2024, 4)
    block = compose_metric(_metric("annual"), _inputs(_metric("annual"), period))
    yearly = [_org(y) for y in sorted(YEARS)]
    expected = compute_variation(yearly, True, 70.0)
    variation = block["variation"]
    assert variation["variation"] == expected.variation
    assert variation["assurance"] == expected.assurance
    assert variation["center"] == expected.center  # baseline: the five earlier years
    assert variation["baseline_points"] == 5 and expected.baseline_points == 5
    shown = [v for v in variation["values"] if v is not None]
    assert shown == yearly[-3:]  # the twelve-quarter axis holds three years' last quarters
    va = block["departments"]["variation"]["values"][CODES.index("VA")]
    assert [v for v in va if v is not None] == [YEARS[y][1] for y in (2022, 2023, 2024)]


def test_an_annual_metric_is_absent_outside_the_years_last_quarter() -> None:
    period = FiscalQuarter(2024, 3)  # holds a stray value the annual series ignores
    block = compose_metric(_metric("annual"), _inputs(_metric("annual"), period))
    assert block["n_departments"] == 0 and block["decomposition"] is None


def test_a_quarterly_metric_still_compares_with_the_previous_quarter() -> None:
    period = FiscalQuarter(2024, 4)
    block = compose_metric(_metric("quarterly"), _inputs(_metric("quarterly"), period))
    assert block["compared_with"] == "FY2024-Q3"
    stray = _columns(2024, 0.5)
    weights = weight_column(stray.volumes, "volume")
    previous = PeriodScores(dict(zip(CODES, stray.scores.tolist(), strict=True)),
                            dict(zip(CODES, weights.tolist(), strict=True)))  # fmt: skip
    expected = compute_decomposition(previous, _scores(2024), "weighted_mean")
    assert block["decomposition"]["delta"] == expected.delta
