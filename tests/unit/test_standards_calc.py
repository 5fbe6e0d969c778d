"""standards_met (SPEC 4.5): the column form equals the one-department reference bit for
bit, and both equal the definition written out here."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from cxprogram.rollup.calc import (
    DepartmentAggregate,
    JudgedStandard,
    compute_department_score,
    compute_standard_is_met,
    compute_standards_met,
)
from cxprogram.rollup.columns import StandardColumns, standards_met_columns

values = st.floats(0, 100, allow_nan=False)
observations = st.lists(st.tuples(values, st.one_of(st.none(), st.floats(0, 500))), min_size=1,
                        max_size=4)  # fmt: skip
standards = st.lists(
    st.tuples(st.integers(1, 5), observations, st.sampled_from(["weighted_mean", "mean", "sum"]),
              values, st.booleans()),
    max_size=30,
)  # fmt: skip


def _aggregate(dept: str, rows: list[tuple[float, float | None]]) -> DepartmentAggregate:
    weighted = [(v, n) for v, n in rows if n is not None and n > 0]
    return DepartmentAggregate(
        dept, math.fsum(v * n for v, n in weighted), math.fsum(n for _, n in weighted),
        math.fsum(v for v, _ in rows), len(rows),
    )  # fmt: skip


@given(standards)
def test_columns_equal_the_reference(given_standards: list) -> None:  # type: ignore[type-arg]
    judged = [
        JudgedStandard(str(dept), f"S{i}", _aggregate(str(dept), rows), agg, target, higher)
        for i, (dept, rows, agg, target, higher) in enumerate(given_standards)
    ]
    reference = compute_standards_met(judged)
    columns = StandardColumns(
        [int(j.department) for j in judged], [j.aggregate.weighted_sum for j in judged],
        [j.aggregate.weight_total for j in judged], [j.aggregate.plain_sum for j in judged],
        [j.aggregate.count for j in judged], [j.aggregation for j in judged],
        [j.target for j in judged], [j.higher_is_better for j in judged],
    )  # fmt: skip
    got = {str(d): (met, total) for d, met, total in standards_met_columns(columns)}
    assert got == {d: (a.weighted_sum, a.weight_total) for d, a in reference.items()}
    for dept, aggregate in reference.items():
        mine = [j for j in judged if j.department == dept]
        met = sum(1 for j in mine if compute_standard_is_met(j))
        score = compute_department_score(aggregate, "weighted_mean")
        assert score.score == 100 * met / len(mine) and score.n == len(mine)


def test_met_is_judged_on_the_pooled_value_against_the_standards_own_target() -> None:
    pooled = _aggregate("A", [(70.0, 100.0), (95.0, 300.0)])  # 88.75
    assert compute_standard_is_met(JudgedStandard("A", "S", pooled, "weighted_mean", 88.75, True))
    assert not compute_standard_is_met(JudgedStandard("A", "S", pooled, "weighted_mean", 89, True))
    assert compute_standard_is_met(JudgedStandard("A", "S", pooled, "weighted_mean", 89, False))
    assert compute_standard_is_met(JudgedStandard("A", "S", pooled, "mean", 82.5, True))
