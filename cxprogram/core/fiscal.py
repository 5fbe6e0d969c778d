"""Fiscal calendar: period labels such as FY2024-Q1 and their date ranges, and the one place
where the label of a metric's value is read by its frequency (SPEC 3): a monthly value's
`FY2024-M03` or quarter and month, an annual value's `FY2024`, `2023-2024` or `2023-24`.

Fiscal year N ends in calendar year N when the year starts in a month other than January
(FY2024 with an October start is 2023-10-01 to 2024-09-30); with a January start it is the
calendar year itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from cxprogram.org.settings import DEFAULTS

LABEL_RE = re.compile(r"^FY(\d{4})-Q([1-4])$")
YEAR_RE = re.compile(r"^(?:FY(\d{4})|(\d{4})-(\d{4}|\d{2}))$")
MONTH_RE = re.compile(r"^FY(\d{4})-M(\d{1,2})$")
MIN_YEAR, MAX_YEAR = 1900, 9999
# A metric's frequency (metrics.models.Frequency holds the same values)
MONTHLY, QUARTERLY, ANNUAL = "monthly", "quarterly", "annual"
MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip


class PeriodLabelError(ValueError):
    """A period label is not of the form FY2024-Q1."""


class MonthError(PeriodLabelError):
    """A value's month is missing, not wanted or outside its quarter."""


def validate_start_month(month: int) -> int:
    """Return the fiscal-year start month, refusing anything outside 1..12."""
    if not 1 <= month <= 12:
        raise ValueError(f"fiscal-year start month must be 1..12, not {month}")
    return month


@dataclass(frozen=True, order=True)
class FiscalQuarter:
    """One fiscal quarter; ordering follows time."""

    year: int
    quarter: int

    def __post_init__(self) -> None:
        if not MIN_YEAR <= self.year <= MAX_YEAR:
            raise PeriodLabelError(f"fiscal year {self.year} is outside {MIN_YEAR}..{MAX_YEAR}")
        if not 1 <= self.quarter <= 4:
            raise PeriodLabelError(f"quarter {self.quarter} is not 1..4")

    @property
    def label(self) -> str:
        """The label, e.g. FY2024-Q1."""
        return f"FY{self.year:04d}-Q{self.quarter}"

    @property
    def index(self) -> int:
        """A monotone integer: consecutive quarters differ by one."""
        return self.year * 4 + self.quarter - 1

    def start(self, start_month: int = DEFAULTS.fiscal_year_start_month) -> date:
        """First day of the quarter."""
        validate_start_month(start_month)
        offset = (start_month - 1) + 3 * (self.quarter - 1)
        calendar_year = self.year - (1 if start_month != 1 else 0)
        return date(calendar_year + offset // 12, offset % 12 + 1, 1)

    def end(self, start_month: int = DEFAULTS.fiscal_year_start_month) -> date:
        """Last day of the quarter (inclusive)."""
        return self.next().start(start_month) - timedelta(days=1)

    def shift(self, k: int) -> FiscalQuarter:
        """The quarter k quarters later (earlier when k is negative)."""
        index = self.index + k
        return FiscalQuarter(index // 4, index % 4 + 1)

    def next(self) -> FiscalQuarter:
        """The following quarter."""
        return self.shift(1)

    def previous(self) -> FiscalQuarter:
        """The preceding quarter."""
        return self.shift(-1)

    def __str__(self) -> str:
        return self.label


def parse_period(label: str) -> FiscalQuarter:
    """Parse FY2024-Q1 (any case, surrounding space allowed)."""
    match = LABEL_RE.match(label.strip().upper())
    if match is None:
        raise PeriodLabelError(f"'{label}' is not a period label; expected the form FY2024-Q1")
    return FiscalQuarter(int(match.group(1)), int(match.group(2)))


def quarter_of(day: date, start_month: int = DEFAULTS.fiscal_year_start_month) -> FiscalQuarter:
    """The fiscal quarter a day falls in."""
    validate_start_month(start_month)
    months_in = (day.month - start_month) % 12
    year = day.year + (1 if start_month != 1 and day.month >= start_month else 0)
    return FiscalQuarter(year, months_in // 3 + 1)


def quarters_between(first: FiscalQuarter, last: FiscalQuarter) -> list[FiscalQuarter]:
    """Every quarter from first to last inclusive (empty when last is before first)."""
    return [first.shift(k) for k in range(last.index - first.index + 1)]


def due_date(
    quarter: FiscalQuarter,
    start_month: int = DEFAULTS.fiscal_year_start_month,
    due_days: int = DEFAULTS.due_days,
) -> date:
    """When a quarter's data is due: its last day plus the configured days."""
    return quarter.end(start_month) + timedelta(days=due_days)


def is_due_in(frequency: str, quarter: int) -> bool:
    """Whether a metric of this frequency is due in a fiscal quarter (1..4): an annual one only
    in the year's last quarter, the others in every quarter. The one rule the completion
    tracker, the reminders and "late" follow."""
    return frequency != ANNUAL or quarter == 4


def quarter_months(
    quarter: FiscalQuarter, start_month: int = DEFAULTS.fiscal_year_start_month
) -> tuple[int, int, int]:
    """The calendar months (1..12) of a quarter, in order."""
    first = quarter.start(start_month).month
    return (first, first % 12 + 1, (first + 1) % 12 + 1)


def month_name(month: int) -> str:
    """January for 1."""
    return MONTH_NAMES[month - 1]


def month_label(
    quarter: FiscalQuarter, month: int, start_month: int = DEFAULTS.fiscal_year_start_month
) -> str:
    """A month of a quarter as a person reads it: "October 2023"."""
    first = quarter.start(start_month)
    year = first.year + (1 if month < first.month else 0)
    return f"{month_name(month)} {year}"


def parse_year(label: str) -> int:
    """The fiscal year a label names: FY2024, or its two calendar years 2023-2024 or 2023-24
    (a year is named by the calendar year it ends in)."""
    match = YEAR_RE.match(label.strip().upper())
    if match is None:
        raise PeriodLabelError(f"'{label}' is not a fiscal year; expected FY2024 or 2023-2024")
    if match.group(1):
        year = int(match.group(1))
    else:
        first, second = int(match.group(2)), match.group(3)
        year = int(second) if len(second) == 4 else first + 1
        if year != first + 1 or (len(second) == 2 and int(second) != year % 100):
            raise PeriodLabelError(
                f"'{label}' names no fiscal year: the second year must follow the first"
            )
    FiscalQuarter(year, 4)  # the year's range
    return year


def parse_month_label(
    label: str, start_month: int = DEFAULTS.fiscal_year_start_month
) -> tuple[FiscalQuarter, int]:
    """FY2024-M03: March of fiscal year 2024, as (its quarter, the calendar month)."""
    match = MONTH_RE.match(label.strip().upper())
    if match is None:
        raise PeriodLabelError(f"'{label}' is not a month label; expected the form FY2024-M03")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise PeriodLabelError(f"'{label}': the month must be 01 to 12")
    return month_quarter(year, month, start_month), month


def month_quarter(
    year: int, month: int, start_month: int = DEFAULTS.fiscal_year_start_month
) -> FiscalQuarter:
    """The quarter of fiscal year `year` that holds calendar month `month`."""
    validate_start_month(start_month)
    return FiscalQuarter(year, (month - start_month) % 12 // 3 + 1)


def parse_value_period(
    label: str,
    month: int | None,
    frequency: str,
    start_month: int = DEFAULTS.fiscal_year_start_month,
) -> tuple[FiscalQuarter, int | None]:
    """The quarter and month a value of a metric of this frequency is stored in, from its
    period label and optional month (calendar 1..12); PeriodLabelError with the reason when
    they do not fit the frequency. Monthly: FY2024-M03, or a quarter and one of its months.
    Annual: FY2024, 2023-2024, 2023-24 (or the year's last quarter), stored in its last
    quarter. Quarterly: FY2024-Q1, no month."""
    text = label.strip().upper()
    if frequency == ANNUAL:
        return _annual(text, month), None
    if frequency == MONTHLY:
        return _monthly(text, month, start_month)
    if MONTH_RE.match(text) or YEAR_RE.match(text):
        raise PeriodLabelError(
            f"'{label}' is not a quarter; the metric is quarterly: write the form FY2024-Q1"
        )
    if month is not None:
        raise MonthError("the metric is quarterly: its values take no month")
    return parse_period(text), None


def _annual(text: str, month: int | None) -> FiscalQuarter:
    if month is not None:
        raise MonthError("the metric is annual: its values take no month")
    if MONTH_RE.match(text):
        raise PeriodLabelError(
            f"'{text}' is a month; the metric is annual: write FY2024 or 2023-2024"
        )
    quarter = LABEL_RE.match(text)
    if quarter is not None and quarter.group(2) != "4":
        raise PeriodLabelError(
            f"'{text}' is not the year's last quarter; the metric is annual: write "
            f"FY{quarter.group(1)} (or its years, e.g. {int(quarter.group(1)) - 1}-"
            f"{quarter.group(1)}), stored in FY{quarter.group(1)}-Q4"
        )
    if quarter is not None:
        return FiscalQuarter(int(quarter.group(1)), 4)
    if YEAR_RE.match(text) is None:
        raise PeriodLabelError(
            f"'{text}' is not a fiscal year; the metric is annual: write FY2024 or 2023-2024"
        )
    return FiscalQuarter(parse_year(text), 4)


def _monthly(text: str, month: int | None, start_month: int) -> tuple[FiscalQuarter, int]:
    if MONTH_RE.match(text):
        quarter, named = parse_month_label(text, start_month)
        if month is not None and month != named:
            raise MonthError(f"'{text}' is {month_name(named)}, but the month given is {month}")
        return quarter, named
    if YEAR_RE.match(text):
        raise PeriodLabelError(
            f"'{text}' is a fiscal year; the metric is monthly: write a month such as "
            "FY2024-M03, or a quarter with its month"
        )
    quarter = parse_period(text)
    months = quarter_months(quarter, start_month)
    names = ", ".join(month_name(m) for m in months)
    if month is None:
        raise MonthError(
            f"the metric is monthly: give the month of {quarter.label} ({names}) or a period "
            f"such as FY{quarter.year}-M{months[0]:02d}"
        )
    if month not in months:
        raise MonthError(f"month {month} is not in {quarter.label}, whose months are {names}")
    return quarter, month
