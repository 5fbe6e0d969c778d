"""Fiscal calendar: table cases and properties over random dates and start months."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxprogram.core.fiscal import (
    FiscalQuarter,
    PeriodLabelError,
    due_date,
    parse_period,
    quarter_of,
    quarters_between,
)


@pytest.mark.parametrize(
    ("label", "start_month", "first", "last"),
    [
        ("FY2024-Q1", 10, date(2023, 10, 1), date(2023, 12, 31)),
        ("FY2023-Q1", 10, date(2022, 10, 1), date(2022, 12, 31)),
        ("FY2021-Q2", 10, date(2021, 1, 1), date(2021, 3, 31)),
        ("FY2024-Q4", 10, date(2024, 7, 1), date(2024, 9, 30)),
        ("FY2024-Q1", 7, date(2023, 7, 1), date(2023, 9, 30)),
        ("FY2024-Q4", 7, date(2024, 4, 1), date(2024, 6, 30)),
        ("FY2024-Q1", 1, date(2024, 1, 1), date(2024, 3, 31)),
        ("FY2024-Q4", 1, date(2024, 10, 1), date(2024, 12, 31)),
    ],
)
def test_known_quarters(label: str, start_month: int, first: date, last: date) -> None:
    quarter = parse_period(label)
    assert quarter.start(start_month) == first
    assert quarter.end(start_month) == last
    assert quarter_of(first, start_month) == quarter
    assert quarter_of(last, start_month) == quarter


@pytest.mark.parametrize("bad", ["2024Q1", "FY2024-Q5", "FY24-Q1", "FY2024-Q0", "", "FY2024Q1"])
def test_bad_labels_are_refused(bad: str) -> None:
    with pytest.raises(PeriodLabelError, match="FY2024-Q1"):
        parse_period(bad)


def test_labels_are_tolerant_of_case_and_space() -> None:
    assert parse_period("  fy2024-q3 ") == FiscalQuarter(2024, 3)


def test_due_date_is_quarter_end_plus_days() -> None:
    assert due_date(parse_period("FY2023-Q1")) == date(2023, 1, 30)
    assert due_date(parse_period("FY2023-Q1"), 10, 45) == date(2023, 2, 14)


dates = st.dates(min_value=date(1901, 1, 1), max_value=date(9998, 1, 1))
months = st.integers(min_value=1, max_value=12)
quarters = st.builds(FiscalQuarter, st.integers(min_value=2000, max_value=9000), st.integers(1, 4))


@given(dates, months)
def test_every_date_falls_in_exactly_one_quarter(day: date, start_month: int) -> None:
    quarter = quarter_of(day, start_month)
    assert quarter.start(start_month) <= day <= quarter.end(start_month)
    assert not quarter.previous().start(start_month) <= day <= quarter.previous().end(start_month)
    assert not quarter.next().start(start_month) <= day <= quarter.next().end(start_month)


@given(quarters)
def test_labels_round_trip(quarter: FiscalQuarter) -> None:
    assert parse_period(quarter.label) == quarter
    assert str(quarter) == quarter.label


@given(quarters, months)
def test_quarters_are_contiguous(quarter: FiscalQuarter, start_month: int) -> None:
    assert quarter.next().start(start_month) == quarter.end(start_month) + timedelta(days=1)
    length = (quarter.end(start_month) - quarter.start(start_month)).days + 1
    assert 89 <= length <= 92


@given(quarters, st.integers(min_value=-400, max_value=400))
def test_shift_moves_the_index(quarter: FiscalQuarter, k: int) -> None:
    shifted = quarter.shift(k)
    assert shifted.index - quarter.index == k
    assert shifted.shift(-k) == quarter


@given(quarters, st.integers(min_value=-5, max_value=40))
def test_quarters_between_is_inclusive(first: FiscalQuarter, k: int) -> None:
    last = first.shift(k)
    between = quarters_between(first, last)
    assert len(between) == max(0, k + 1)
    if between:
        assert between[0] == first and between[-1] == last
        assert between == sorted(between)
