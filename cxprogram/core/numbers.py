"""Numbers as a person reads them: a metric's value at its precision, with its unit.

Pure: no Flask, no database. Values are stored at full precision; only their text is rounded.
"""

from __future__ import annotations

# Decimals shown by unit when the metric names no precision of its own: two on a 1 to 5
# scale, one on a percent or minutes, whole seconds, days and counts (issue 12, item 3).
DEFAULT_DECIMALS = {"points": 2, "percent": 1, "minutes": 1, "seconds": 0, "days": 0, "count": 0}
UNIT_WORDS = {"percent": " %", "seconds": " seconds", "minutes": " minutes", "days": " days"}


def format_value(value: float | None, unit: str, precision: int | None = None) -> str:
    """A value at the metric's precision (or its unit's usual one) with its unit: 12.5 %."""
    if value is None:
        return "no value"
    decimals = precision if precision is not None else DEFAULT_DECIMALS.get(unit, 2)
    return _with_unit(f"{value:,.{max(decimals, 0)}f}", unit)


def format_change(before: float | None, after: float | None, unit: str,
                  precision: int | None = None) -> tuple[str, str]:  # fmt: skip
    """Both values of a change; at full precision when rounding would make them look alike."""
    old, new = format_value(before, unit, precision), format_value(after, unit, precision)
    if old == new and before != after and before is not None and after is not None:
        return format_full(before, unit), format_full(after, unit)
    return old, new


def format_full(value: float, unit: str) -> str:
    """A value at full precision (the shortest text that reads back the same), with its unit."""
    return _with_unit(format_count(value), unit)


def format_count(value: float | None) -> str:
    """A count such as n (respondents, transactions): whole, with thousands separators."""
    if value is None:
        return "none"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"


def _with_unit(text: str, unit: str) -> str:
    words = UNIT_WORDS.get(unit, "")
    if text == "1" and words.endswith("s"):
        words = words[:-1]  # 1 day, 1 second
    return f"{text}{words}"
