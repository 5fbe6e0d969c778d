"""Parse the performance.gov A-11 answer-count CSV. Pure: no Flask, no database.

Columns come with or without the ``attributes_`` prefix. Each row is one service x channel
x fiscal quarter; questions q1..q7 carry the counts of answers 1..5. The counts are the
source of truth: a question's value is sum(k * count_k) / sum(count_k).
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from typing import TextIO

PREFIX = "attributes_"

SURVEY_METRICS: tuple[tuple[str, str, str], ...] = (
    ("q1", "satisfaction", "Satisfaction"),
    ("q2", "trust", "Trust/confidence"),
    ("q3", "effectiveness", "Effectiveness (need addressed)"),
    ("q4", "ease", "Ease"),
    ("q5", "efficiency", "Efficiency (reasonable time)"),
    ("q6", "transparency", "Equity/transparency (treated fairly)"),
    ("q7", "employee", "Employee helpfulness"),
)

REQUIRED = (
    "id",
    "organization_name",
    "organization_abbreviation",
    "service_provider_name",
    "service_name",
    "collection_year",
    "collection_quarter",
    "channel",
) + tuple(f"{q}_{k}" for q, _, _ in SURVEY_METRICS for k in range(1, 6))


@dataclass(frozen=True)
class A11Answer:
    """The answer counts of one question in one row."""

    metric: str
    counts: tuple[int, int, int, int, int]

    @property
    def n(self) -> int:
        """Number of answers."""
        return sum(self.counts)

    @property
    def value(self) -> float:
        """Mean answer on the 1..5 scale."""
        return sum(k * c for k, c in enumerate(self.counts, start=1)) / self.n


@dataclass(frozen=True)
class A11Row:
    """One record of the file: a service, channel and fiscal quarter with its answers."""

    row_number: int
    record_id: str
    department_code: str
    department_name: str
    service_provider: str
    service_name: str
    channel: str
    fiscal_year: int
    fiscal_quarter: int
    volume_of_respondents: int | None
    answers: tuple[A11Answer, ...]


@dataclass
class A11FormatError(ValueError):
    """The file cannot be imported; every problem is listed with row and column."""

    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(self.errors)


def _column(name: str) -> str:
    return name[len(PREFIX) :] if name.startswith(PREFIX) else name


def _count(raw: str, where: str, errors: list[str]) -> int:
    if raw.isdigit():  # the common case, whole numbers as written
        return int(raw)
    text = raw.strip()
    if text == "" or text.upper() == "NONE":
        return 0
    try:
        number = float(text)
    except ValueError:
        errors.append(f"{where}: '{text}' is not a whole number")
        return 0
    if number < 0 or not number.is_integer():
        errors.append(f"{where}: '{text}' is not a whole number of answers (0 or more)")
        return 0
    return int(number)


def _optional_int(raw: str) -> int | None:
    try:
        return int(float(raw)) if raw.strip() else None
    except ValueError:
        return None


def _answers(
    record: dict[str, str], header: dict[str, str], row: int, errors: list[str]
) -> tuple[A11Answer, ...]:
    answers = []
    for question, metric, _ in SURVEY_METRICS:
        counts = []
        for k in range(1, 6):
            column = f"{question}_{k}"
            raw = record[column]
            counts.append(
                int(raw)
                if raw.isdigit()
                else _count(raw, f"row {row}, column {header[column]}", errors)
            )
        if sum(counts) > 0:
            answers.append(A11Answer(metric, tuple(counts)))  # type: ignore[arg-type]
    return tuple(answers)


def _period(
    record: dict[str, str], header: dict[str, str], row: int, errors: list[str]
) -> tuple[int, int]:
    year, quarter = record["collection_year"].strip(), record["collection_quarter"].strip()
    if not year.isdigit() or not 1900 <= int(year) <= 9999:
        errors.append(
            f"row {row}, column {header['collection_year']}: '{year}' is not a fiscal year"
        )
        return 0, 0
    if quarter not in ("1", "2", "3", "4"):
        errors.append(
            f"row {row}, column {header['collection_quarter']}: '{quarter}' is not a quarter 1..4"
        )
        return 0, 0
    return int(year), int(quarter)


def _row(record: dict[str, str], header: dict[str, str], row: int, errors: list[str]) -> A11Row:
    code = record["organization_abbreviation"].strip()
    if not code:
        errors.append(
            f"row {row}, column {header['organization_abbreviation']}: "
            "empty organization abbreviation"
        )
    year, quarter = _period(record, header, row, errors)
    return A11Row(
        row_number=row,
        record_id=record["id"].strip(),
        department_code=code.upper(),
        department_name=record["organization_name"].strip() or code,
        service_provider=record["service_provider_name"].strip(),
        service_name=record["service_name"].strip() or record.get("service_provided", "").strip(),
        channel=record["channel"].strip().lower(),
        fiscal_year=year,
        fiscal_quarter=quarter,
        volume_of_respondents=_optional_int(record.get("volume_of_respondents", "")),
        answers=_answers(record, header, row, errors),
    )


def parse_a11(stream: TextIO) -> list[A11Row]:
    """Parse a whole file; raise A11FormatError listing every problem found."""
    reader = csv.reader(stream)
    raw_header = next(reader, None)
    if not raw_header:
        raise A11FormatError(["the file is empty: expected a header row"])
    header = {_column(name.strip().lstrip("\ufeff")): name.strip() for name in raw_header}
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise A11FormatError([f"row 1: missing columns: {', '.join(missing)}"])
    names = [_column(name.strip().lstrip("\ufeff")) for name in raw_header]
    errors: list[str] = []
    rows = []
    for row_number, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        record = dict(zip(names, values + [""] * (len(names) - len(values)), strict=False))
        rows.append(_row(record, header, row_number, errors))
    if errors:
        raise A11FormatError(errors)
    return rows


def read_a11_file(path: str | os.PathLike[str]) -> list[A11Row]:
    """Read and parse a file (UTF-8, with or without a byte-order mark)."""
    with open(path, encoding="utf-8-sig", newline="") as stream:
        return parse_a11(stream)
