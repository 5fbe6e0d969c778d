"""Read an uploaded table (.csv or .xlsx) into numbered rows; shared by every file import.

Row numbers are the ones a spreadsheet shows: the header is row 1, the first data row is
row 2. Errors name the row, the column and the reason, and the importers collect them all
before deciding anything (all or nothing).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ALLOWED_SUFFIXES = (".csv", ".xlsx")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, order=True)
class RowError:
    """One problem in an uploaded file: row as a spreadsheet shows it, column, reason."""

    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row else "file"
        return (
            f"{where}, column {self.column}: {self.reason}"
            if self.column
            else (f"{where}: {self.reason}")
        )


class TableError(Exception):
    """The file cannot be read as a table at all, or it has bad rows."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = sorted(errors)


@dataclass(frozen=True)
class Row:
    """One data row: its spreadsheet row number and its cells by (normalised) column name."""

    number: int
    cells: dict[str, str]

    def get(self, column: str) -> str:
        """The cell's text, stripped; "" when the column is absent or the cell empty."""
        return self.cells.get(column, "").strip()


@dataclass(frozen=True)
class Table:
    """A file's header (normalised) and its non-empty data rows."""

    columns: list[str]
    rows: list[Row] = field(default_factory=list)


def normalise_header(name: str) -> str:
    """`Department Code ` -> `department_code`: lower case, spaces and dashes to underscores."""
    return "_".join(name.strip().lower().replace("-", " ").split())


def read_table(
    filename: str,
    data: bytes,
    *,
    required: Iterable[str],
    optional: Iterable[str] = (),
    max_bytes: int | None = None,
) -> Table:
    """Parse a .csv (UTF-8, with or without BOM, any line ending) or .xlsx file.

    Raises TableError naming what is wrong: an unsupported file type, a file over the size
    limit, an unreadable file, missing or unknown columns.
    """
    suffix = Path(filename).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise TableError([RowError(0, "", f"{filename!r} is not a .csv or .xlsx file")])
    if max_bytes is not None and len(data) > max_bytes:
        limit = f"{max_bytes / 1_048_576:.1f} MB"
        raise TableError([RowError(0, "", f"the file is larger than the {limit} limit")])
    raw = _read_xlsx(data) if suffix == ".xlsx" else _read_csv(data)
    return _to_table(raw, list(required), list(optional))


def _read_csv(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # Excel's "CSV" on Windows
    header = text.split("\n", 1)[0]
    # Excel writes ";" in locales with a decimal comma, and "Unicode text" is tab separated.
    delimiter = max((",", ";", "\t"), key=header.count)
    try:
        return [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as error:
        raise TableError([RowError(0, "", f"not a readable CSV file ({error})")]) from error


def _read_xlsx(data: bytes) -> list[list[str]]:
    from zipfile import BadZipFile

    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, KeyError, ValueError, OSError) as error:
        raise TableError([RowError(0, "", "not a readable .xlsx workbook")]) from error
    sheet = book.worksheets[0]
    rows = [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    book.close()
    return rows


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _to_table(raw: list[list[str]], required: list[str], optional: list[str]) -> Table:
    if not raw or not any(c.strip() for c in raw[0]):
        raise TableError([RowError(1, "", "the file has no header row")])
    header = [normalise_header(c) for c in raw[0]]
    errors = [RowError(1, c, "required column is missing") for c in required if c not in header]
    known = set(required) | set(optional)
    errors += [RowError(1, c, "unknown column") for c in header if c and c not in known]
    if errors:
        raise TableError(errors)
    rows = []
    for number, values in enumerate(raw[1:], start=2):
        if not any(v.strip() for v in values):
            continue  # blank lines are not data
        cells = {name: values[i] if i < len(values) else "" for i, name in enumerate(header)}
        rows.append(Row(number, cells))
    return Table(header, rows)


def neutralise(value: object) -> object:
    """Make a cell safe to open in a spreadsheet: text starting =, +, -, @ gets a quote.

    Numbers stay numbers (a negative number is data, not a formula).
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def unneutralise(value: str) -> str:
    """Undo `neutralise` on import, so an exported file imports back to the same data."""
    if value.startswith("'") and value[1:2] in FORMULA_PREFIXES and len(value) > 1:
        return value[1:]
    return value
