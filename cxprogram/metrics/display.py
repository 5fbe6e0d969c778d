"""How a metric's numbers read to a person: values at the metric's precision, its scale as a
person writes it ("1 to 5", "0 to 100 %", "0 or more, no upper limit") and what its n
counts. Pure: plain values in, text out (no Flask, no SQLAlchemy), so the grid, the import's
messages and the catalog say the same thing.
"""

from __future__ import annotations

import math

from cxprogram.core import numbers

# Decimals shown when a metric does not set its own (one table, in core.numbers)
DEFAULT_DECIMALS = numbers.DEFAULT_DECIMALS
# Bounds this large are "no limit": older catalogs stored 1e9 for "no upper limit".
UNBOUNDED = 1e9
UNIT_WORDS = {"points": "", "percent": " %", "seconds": " s", "minutes": " min", "days": " days"}


def decimals_of(decimals: int | None, unit: str) -> int:
    """The decimals a value of this metric is shown with."""
    if decimals is not None and 0 <= decimals <= 6:
        return decimals
    return DEFAULT_DECIMALS.get(unit, 2)


def format_value(value: float | None, decimals: int) -> str:
    """A value at the metric's precision ("" for none); the stored value keeps all digits."""
    if value is None or not math.isfinite(value):
        return ""
    text = f"{value:,.{decimals}f}".replace(",", "")
    return "0" if decimals == 0 and text == "-0" else text


def format_full(value: float | None) -> str:
    """A stored value with every digit it has, for inputs that must round-trip exactly."""
    if value is None:
        return ""
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _bound(number: float) -> str:
    return f"{number:g}" if abs(number) < 1e6 else f"{number:,.0f}"


def describe_scale(low: float | None, high: float | None, unit: str) -> str:
    """The scale as a person writes it: "1 to 5", "0 to 100 %", "0 or more, no upper limit"."""
    suffix = UNIT_WORDS.get(unit, "")
    has_low = low is not None and abs(low) < UNBOUNDED
    has_high = high is not None and abs(high) < UNBOUNDED
    if has_low and has_high:
        assert low is not None and high is not None
        return f"{_bound(low)} to {_bound(high)}{suffix}"
    if has_low:
        assert low is not None
        return f"{_bound(low)}{suffix} or more, no upper limit"
    if has_high:
        assert high is not None
        return f"up to {_bound(high)}{suffix}, no lower limit"
    return "no limits"


def default_n_counts(kind: str) -> str:
    """What n counts when the metric does not say: survey respondents, else transactions."""
    return "respondents" if kind == "survey" else "transactions"
