"""Period labels read by a metric's frequency (SPEC 3): annual years, monthly labels and
months, and the one rule of when a metric is due."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxprogram.core.fiscal import (
    ANNUAL,
    MONTHLY,
    QUARTERLY,
    FiscalQuarter,
    MonthError,
    PeriodLabelError,
    is_due_in,
    month_quarter,
    parse_month_label,
    parse_value_period,
    parse_year,
    quarter_months,
    quarter_of,
)


@pytest.mark.parametrize("label", ["FY2024", "fy2024", " 2023-2024 ", "2023-24", "FY2024-Q4"])
def test_annual_labels_land_in_the_years_last_quarter(label: str) -> None:
    assert parse_value_period(label, None, ANNUAL, 10) == (FiscalQuarter(2024, 4), None)


@pytest.mark.parametrize("label", ["2023-2025", "2023-25", "2023-23", "2024-2023", "1999-00x"])
def test_years_that_do_not_follow_are_refused(label: str) -> None:
    with pytest.raises(PeriodLabelError):
        parse_year(label)


def test_the_century_turns() -> None:
    assert parse_year("1999-00") == 2000
    assert parse_year("2099-2100") == 2100


@pytest.mark.parametrize(
    ("label", "month", "field", "words"),
    [
        ("FY2024-Q1", None, "period", "not the year's last quarter"),
        ("FY2024-Q3", None, "period", "write FY2024 (or its years, e.g. 2023-2024)"),
        ("FY2024-M03", None, "period", "is a month"),
        ("FY2024", 3, "month", "take no month"),
        ("2024", None, "period", "not a fiscal year"),
    ],
)
def test_annual_refusals_say_why(label: str, month: int | None, field: str, words: str) -> None:
    with pytest.raises(PeriodLabelError) as error:
        parse_value_period(label, month, ANNUAL, 10)
    assert words in str(error.value)
    assert isinstance(error.value, MonthError) == (field == "month")


@pytest.mark.parametrize(
    ("label", "start_month", "quarter", "month"),
    [
        ("FY2024-M10", 10, FiscalQuarter(2024, 1), 10),  # October 2023
        ("FY2024-M12", 10, FiscalQuarter(2024, 1), 12),
        ("FY2024-M03", 10, FiscalQuarter(2024, 2), 3),  # March 2024
        ("FY2024-M09", 10, FiscalQuarter(2024, 4), 9),
        ("FY2024-M3", 1, FiscalQuarter(2024, 1), 3),
        ("fy2024-m07", 7, FiscalQuarter(2024, 1), 7),
    ],
)
def test_month_labels(label: str, start_month: int, quarter: FiscalQuarter, month: int) -> None:
    assert parse_month_label(label, start_month) == (quarter, month)
    assert parse_value_period(label, None, MONTHLY, start_month) == (quarter, month)
    assert parse_value_period(label, month, MONTHLY, start_month) == (quarter, month)


def test_a_quarter_with_one_of_its_months() -> None:
    assert parse_value_period("FY2024-Q1", 11, MONTHLY, 10) == (FiscalQuarter(2024, 1), 11)
    assert quarter_months(FiscalQuarter(2024, 1), 10) == (10, 11, 12)
    assert quarter_months(FiscalQuarter(2024, 2), 10) == (1, 2, 3)
    assert quarter_months(FiscalQuarter(2024, 4), 11) == (8, 9, 10)


@pytest.mark.parametrize(
    ("label", "month", "words"),
    [
        ("FY2024-Q1", None, "give the month of FY2024-Q1 (October, November, December)"),
        ("FY2024-Q1", 3, "month 3 is not in FY2024-Q1"),
        ("FY2024-M03", 4, "is March, but the month given is 4"),
    ],
)
def test_monthly_month_refusals(label: str, month: int | None, words: str) -> None:
    with pytest.raises(MonthError) as error:
        parse_value_period(label, month, MONTHLY, 10)
    assert words in str(error.value)


@pytest.mark.parametrize("label", ["FY2024", "2023-24", "FY2024-M13", "FY2024-M00"])
def test_monthly_period_refusals(label: str) -> None:
    with pytest.raises(PeriodLabelError):
        parse_value_period(label, None, MONTHLY, 10)


def test_quarterly_takes_quarters_only() -> None:
    assert parse_value_period("FY2024-Q2", None, QUARTERLY, 10) == (FiscalQuarter(2024, 2), None)
    with pytest.raises(MonthError):
        parse_value_period("FY2024-Q2", 1, QUARTERLY, 10)
    for label in ("FY2024", "2023-2024", "FY2024-M01"):
        with pytest.raises(PeriodLabelError, match="the metric is quarterly"):
            parse_value_period(label, None, QUARTERLY, 10)


def test_due_only_in_the_periods_of_the_frequency() -> None:
    assert [is_due_in(ANNUAL, q) for q in (1, 2, 3, 4)] == [False, False, False, True]
    assert all(is_due_in(f, q) for f in (MONTHLY, QUARTERLY) for q in (1, 2, 3, 4))


@given(st.integers(1990, 2100), st.integers(1, 12), st.integers(1, 12))
def test_every_month_sits_in_the_quarter_its_days_fall_in(
    year: int, month: int, start_month: int
) -> None:
    quarter = month_quarter(year, month, start_month)
    assert month in quarter_months(quarter, start_month)
    first_day = quarter.start(start_month)
    # the month's first day, in the calendar year the quarter puts it in
    day = first_day.replace(
        year=first_day.year + (1 if month < first_day.month else 0), month=month
    )
    assert quarter_of(day, start_month) == quarter
    label = f"FY{year}-M{month:02d}"
    assert parse_value_period(label, None, MONTHLY, start_month) == (quarter, month)
