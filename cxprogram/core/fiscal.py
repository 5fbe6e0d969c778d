"""Fiscal calendar: period labels such as FY2024-Q1 and their date ranges.

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
MIN_YEAR, MAX_YEAR = 1900, 9999


class PeriodLabelError(ValueError):
    """A period label is not of the form FY2024-Q1."""


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
