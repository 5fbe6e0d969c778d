"""Read an uploaded table (.csv or .xlsx) into numbered rows; shared by every file import.

Row numbers are the ones a spreadsheet shows: the header is row 1, the first data row is
row 2. Errors name the row, the column and the reason, and the importers collect them all
before deciding anything (all or nothing).

The file is read once, as a stream, and refused as soon as it passes one of the limits
(config.ImportLimits: size, rows, columns, cell length), before any row is planned. The
rows it holds are kept compressed (`PackedRows`), so planning, the preview and the
confirmation read them again without the file and without a list of every row.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from config import ImportLimits

ALLOWED_SUFFIXES = (".csv", ".xlsx")
ENCODINGS = "UTF-8 (with or without a byte-order mark) or UTF-16 (LE or BE, with a byte-order mark)"
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
    """A file's header (normalised) and its non-empty data rows (iterable more than once)."""

    columns: list[str]
    rows: Iterable[Row] = ()
    ignored: list[str] = field(default_factory=list)  # columns no importer reads: warned of


def refuse(reason: str, row: int = 0, column: str = "") -> TableError:
    """The error that refuses a whole file (raise it)."""
    return TableError([RowError(row, column, reason)])


class PackedRows:
    """Numbered rows kept as zlib-compressed JSON lines: a tenth of the file's size in memory,
    read again as `Row`s on every iteration (planning, then the confirmation)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    @classmethod
    def pack(cls, columns: list[str], rows: Iterable[tuple[int, list[str]]]) -> PackedRows:
        """Compress the header then each (number, cells) row as one JSON line."""
        squeeze = zlib.compressobj(1)
        parts = [squeeze.compress(orjson.dumps(columns) + b"\n")]
        parts += [squeeze.compress(orjson.dumps(row) + b"\n") for row in rows]
        parts.append(squeeze.flush())
        return cls(b"".join(parts))

    @property
    def columns(self) -> list[str]:
        """The normalised header."""
        return list(orjson.loads(next(self._lines())))

    def __iter__(self) -> Iterator[Row]:
        lines = self._lines()
        columns = orjson.loads(next(lines))
        width = len(columns)
        for line in lines:
            number, values = orjson.loads(line)
            values += [""] * (width - len(values))
            yield Row(number, dict(zip(columns, values, strict=True)))

    def _lines(self) -> Iterator[bytes]:
        inflate = zlib.decompressobj()
        rest = b""
        for start in range(0, len(self.data), 1 << 16):
            rest += inflate.decompress(self.data[start : start + (1 << 16)])
            *lines, rest = rest.split(b"\n")
            yield from lines
        rest += inflate.flush()
        if rest:
            yield rest


def normalise_header(name: str) -> str:
    """`Department Code ` -> `department_code`: lower case, spaces and dashes to underscores."""
    return "_".join(name.strip().lower().replace("-", " ").split())


def read_table(
    filename: str,
    data: bytes,
    *,
    required: Iterable[str],
    optional: Iterable[str] = (),
    limits: ImportLimits | None = None,
) -> Table:
    """Read a .csv (UTF-8 or UTF-16, any line ending) or .xlsx file within the limits.

    Raises TableError naming what is wrong: an unsupported file type, a file over one of
    the limits (named), an unreadable file, missing or unknown columns.
    """
    limits = limits or ImportLimits()
    suffix = Path(filename).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise refuse(f"{filename!r} is not a .csv or .xlsx file")
    if len(data) > limits.max_upload_bytes:
        raise refuse(f"the file is larger than the {_mb(limits.max_upload_bytes)} limit "
                     "(MAX_UPLOAD_BYTES)")  # fmt: skip
    if suffix == ".xlsx":
        from cxprogram.imports.xlsx import xlsx_rows

        raw = xlsx_rows(data, limits)
    else:
        raw = csv_rows(data)
    columns, ignored = _header(next(raw, []), list(required), list(optional), limits)
    return Table(columns, PackedRows.pack(columns, _bounded(raw, columns, limits)), ignored)


def _mb(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB"


def decode_text(data: bytes) -> str:
    """The text of a CSV file: UTF-8 (BOM or not) or UTF-16 with a BOM; others refused."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise refuse(f"the file is UTF-32; save it as {ENCODINGS}")
    encoding = "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"  # the BOM says which byte order, and is dropped
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        raise refuse(f"the file is not in an accepted encoding: {ENCODINGS}") from error
    if "\x00" in _first_line(text):
        raise refuse(f"the file looks like UTF-16 without a byte-order mark: {ENCODINGS}")
    return text


def csv_rows(data: bytes) -> Iterator[list[str]]:
    """The rows of a CSV file, read as a stream; the delimiter is guessed from the header."""
    text = decode_text(data)
    header = _first_line(text)
    # Excel writes ";" in locales with a decimal comma, and "Unicode text" is tab separated.
    delimiter = max((",", ";", "\t"), key=header.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from reader
    except csv.Error as error:
        raise refuse(f"not a readable CSV file ({error})") from error


def _first_line(text: str) -> str:
    end = text.find("\n")
    return text if end < 0 else text[:end]


def _header(raw: list[str], required: list[str], optional: list[str], limits: ImportLimits
) -> tuple[list[str], list[str]]:  # fmt: skip
    """The normalised header, and the columns this import does not read (to warn of)."""
    _check_row(1, raw, [], limits)
    if not any(c.strip() for c in raw):
        raise refuse("the file has no header row", 1)
    header = [normalise_header(c) for c in raw]
    known = set(required) | set(optional)
    ignored = [c for c in header if c and c not in known]
    errors = [
        RowError(1, c, "required column is missing" + did_you_mean(c, ignored, "the file has"))
        for c in required
        if c not in header
    ]
    if errors:
        raise TableError(errors)
    return header, ignored


def did_you_mean(name: str, candidates: Iterable[str], lead: str = "did you mean") -> str:
    """ " (did you mean 'x'?)" for the candidate closest to name, ignoring case, or ""."""
    by_folded = {c.casefold(): c for c in candidates if c}
    found = difflib.get_close_matches(name.casefold(), list(by_folded), n=1, cutoff=0.75)
    return f" ({lead} '{by_folded[found[0]]}'?)" if found else ""


def ignored_warnings(table: Table, known: Iterable[str]) -> list[str]:
    """One sentence per column of the file that the import does not read."""
    known = list(known)
    return [
        f"column '{c}' is not read by this import and was ignored" + did_you_mean(c, known)
        for c in table.ignored
    ]


def _bounded(
    raw: Iterator[list[str]], columns: list[str], limits: ImportLimits
) -> Iterator[tuple[int, list[str]]]:
    """The non-blank data rows, numbered; refuses the file at the first row past a limit."""
    for number, values in enumerate(raw, start=2):
        if number - 1 > limits.import_max_rows:
            raise refuse(f"the file has more than {limits.import_max_rows:,} rows, the limit "
                         "(IMPORT_MAX_ROWS)")  # fmt: skip
        _check_row(number, values, columns, limits)
        if any(v.strip() for v in values):
            yield number, values[: len(columns)]


def _check_row(number: int, values: list[str], columns: list[str], limits: ImportLimits) -> None:
    if len(values) > limits.import_max_columns:
        raise refuse(f"more than {limits.import_max_columns:,} columns, the limit "
                     "(IMPORT_MAX_COLUMNS)", number)  # fmt: skip
    for i, value in enumerate(values):
        if len(value) > limits.import_max_cell_chars:
            column = columns[i] if i < len(columns) else f"{i + 1}"
            raise refuse(f"a cell longer than {limits.import_max_cell_chars:,} characters, the "
                         "limit (IMPORT_MAX_CELL_CHARS)", number, column)  # fmt: skip


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
