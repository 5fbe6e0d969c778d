"""Pure checks of the data-entry grid: parse what a person typed, name every bad cell.

No Flask, no SQLAlchemy: plain values in, dataclasses out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cxprogram.metrics.display import describe_scale, format_value
from cxprogram.rollup.calc import DepartmentAggregate, compute_department_score, compute_status


@dataclass(frozen=True)
class MetricRule:
    """What a metric allows and expects: its scale and its target."""

    name: str
    target: float | None
    tolerance: float | None
    higher_is_better: bool
    scale_min: float | None
    scale_max: float | None
    aggregation: str = "weighted_mean"
    scale_text: str = ""
    decimals: int = 2

    def status(self, value: float | None) -> str | None:
        """green, amber, red, or None (no value or no target)."""
        if value is None:
            return None
        return compute_status(value, self.target, self.tolerance, self.higher_is_better)


@dataclass(frozen=True)
class TypedRow:
    """One grid row as typed: value, n and note are the raw strings of the form."""

    key: str
    label: str
    rule: MetricRule
    value: str
    n: str
    note: str
    is_new: bool


@dataclass(frozen=True)
class CellError:
    """A bad cell: which row, which field, and why."""

    key: str
    label: str
    field: str
    reason: str

    @property
    def message(self) -> str:
        """The sentence shown to the person."""
        return f"{self.label}, {self.field}: {self.reason}"


@dataclass(frozen=True)
class ParsedRow:
    """A row whose cells are valid; value None means an empty new row (nothing to save)."""

    key: str
    value: float | None
    n: float | None
    note: str
    status: str | None


def parse_number(text: str) -> float | None:
    """A finite number from typed text (None when empty); ValueError when not a number."""
    text = text.strip().replace(",", "")
    if not text:
        return None
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(text)
    return number


def normalise_note(text: str) -> str:
    """A note as stored: trimmed, with Unix line endings."""
    return text.replace("\r\n", "\n").strip()


def compute_row(row: TypedRow) -> tuple[ParsedRow | None, list[CellError]]:
    """Parse and check one row: every bad cell is named, none is skipped."""
    errors: list[CellError] = []
    value = _number(row, "value", row.value, errors)
    n = _number(row, "n", row.n, errors)
    note = normalise_note(row.note)
    if n is not None and n < 0:
        errors.append(CellError(row.key, row.label, "n", "negative n: n cannot be below 0"))
    if value is not None:
        _check_scale(row, value, errors)
    elif not errors and (not row.is_new or n is not None or note):
        errors.append(CellError(row.key, row.label, "value", "a value is required"))
    status = row.rule.status(value) if value is not None else None
    if errors:
        return None, errors
    return ParsedRow(row.key, value, n, note, status), []


def _number(row: TypedRow, field: str, text: str, errors: list[CellError]) -> float | None:
    try:
        return parse_number(text)
    except ValueError:
        errors.append(CellError(row.key, row.label, field, f"'{text.strip()}' is not a number"))
        return None


def _check_scale(row: TypedRow, value: float, errors: list[CellError]) -> None:
    low, high = row.rule.scale_min, row.rule.scale_max
    if (low is not None and value < low) or (high is not None and value > high):
        scale = row.rule.scale_text or describe_scale(low, high, "")
        reason = f"{_fmt(value)} is outside the metric's scale ({scale})"
        errors.append(CellError(row.key, row.label, "value", reason))


def _fmt(number: float | None) -> str:
    if number is None:
        return "none"
    return f"{number:g}"


def compute_rows(rows: list[TypedRow]) -> tuple[list[ParsedRow], list[CellError]]:
    """Check every row; the parsed rows are only meaningful when there is no error."""
    parsed: list[ParsedRow] = []
    errors: list[CellError] = []
    for row in rows:
        ok, bad = compute_row(row)
        errors.extend(bad)
        if ok is not None:
            parsed.append(ok)
    return parsed, errors


@dataclass(frozen=True)
class PooledCell:
    """One row of a metric as it will stand after the save: its value, n and note, and
    whether this save changes it."""

    key: str
    label: str
    value: float
    n: float | None
    note: str
    is_changed: bool


def compute_pooled_score(cells: list[PooledCell], aggregation: str) -> float | None:
    """The department's score over these rows (SPEC 4.1: pooled by n), None without rows."""
    if not cells:
        return None
    weighted = [(c.value, c.n) for c in cells if c.n is not None and c.n > 0]
    aggregate = DepartmentAggregate(
        "", math.fsum(v * n for v, n in weighted), math.fsum(n for _, n in weighted),
        math.fsum(c.value for c in cells), len(cells),
    )  # fmt: skip
    return compute_department_score(aggregate, aggregation).score


def compute_note_errors(rule: MetricRule, cells: list[PooledCell]) -> list[CellError]:
    """SPEC 4.5: a note is due when the department's pooled score is red and none of its
    rows carries one. It is asked of the first red row this save changes (else its first
    changed row); a metric this save leaves alone is not held up by an older red."""
    changed = [c for c in cells if c.is_changed]
    score = compute_pooled_score(cells, rule.aggregation)
    if not changed or score is None or rule.status(score) != "red" or any(c.note for c in cells):
        return []
    reds = [c for c in changed if rule.status(c.value) == "red"]
    cell = (reds or changed)[0]
    target = _fmt(rule.target)
    pooled = format_value(score, rule.decimals)
    if reds and len(cells) == 1:
        reason = f"the value is red against the target ({target})"
    elif reds:
        reason = (f"the value is red against the target ({target}), and so is the "
                  f"department's pooled score ({pooled})")  # fmt: skip
    else:
        reason = f"the department's pooled score ({pooled}) is red against the target ({target})"
    reason += ": explain it in the note of this row to save it"
    return [CellError(cell.key, cell.label, "note", reason)]
