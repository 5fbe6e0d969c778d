"""Write rows as CSV or XLSX, as a stream of bytes, with every text cell neutralised against
formula injection.

Both formats are produced while the rows are read, so memory holds one batch whatever the
row count, and a download starts at once. Numbers are written at full precision, in the
shortest form that reads back as the same float (`repr`), so an exported file imports back
to exactly the same data: the csv module does this already, and so does `xlsx.iter_xlsx`.
The rows' numbers come typed once for both formats (`whole`: 120 rather than 120.0), so a
CSV and an XLSX of the same rows hold the same digits; the XLSX's are numbers, not text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any

from flask import Response

from cxprogram.exports.xlsx import iter_xlsx
from cxprogram.imports.tabular import neutralise

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MIMETYPES = {"csv": CSV_TYPE, "xlsx": XLSX_TYPE}
CHUNK_BYTES = 64 * 1024


def whole(number: float | None) -> float | int | None:
    """A float with no fraction as an int (written "120", not "120.0"); others unchanged."""
    if type(number) is float and number.is_integer() and abs(number) < 1e15:
        return int(number)
    return number


def _cell(value: Any) -> Any:
    """Dates as ISO text, None as empty, text neutralised; numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(value)


class _Cells:
    """`_cell` of every value of a row; numbers pass as they are, and the other values'
    cells are kept in a bounded cache (codes, labels, names and dates repeat)."""

    CACHE_SIZE = 50_000

    def __init__(self) -> None:
        self.cache: dict[Any, Any] = {}

    def row(self, row: Sequence[Any]) -> list[Any]:
        """The row's cells."""
        cells, cache = [], self.cache
        for value in row:
            kind = type(value)
            if kind is float or kind is int:
                cells.append(value)
                continue
            cell = cache.get(value, cache)
            if cell is cache:
                cell = _cell(value)
                if len(cache) < self.CACHE_SIZE:
                    cache[value] = cell
            cells.append(cell)
        return cells


def iter_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """UTF-8 with a byte-order mark (so Excel reads the accents), CRLF line ends; the
    header is sent before the first row is read, then about CHUNK_BYTES at a time."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    yield ("\ufeff" + out.getvalue()).encode("utf-8")
    out.seek(0)
    out.truncate()
    cells = _Cells()
    for row in rows:
        writer.writerow(cells.row(row))
        if out.tell() >= CHUNK_BYTES:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode("utf-8")


def iter_workbook(
    columns: Sequence[str], rows: Iterable[Sequence[Any]], title: str,
    widths: Sequence[float] | None = None,
) -> Iterator[bytes]:  # fmt: skip
    """One worksheet named `title`, the bold frozen header in the first row, columns
    `widths` characters wide; numbers stay numbers (at full precision), dates stay dates."""
    return iter_xlsx(columns, rows, title, text=neutralise, widths=widths)


def iter_format(
    fmt: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], title: str,
    widths: Sequence[float] | None = None,
) -> Iterator[bytes]:  # fmt: skip
    """The bytes of the rows in this format ("csv" or "xlsx"; `widths` only for XLSX)."""
    if fmt == "csv":
        return iter_csv(columns, rows)
    return iter_workbook(columns, rows, title, widths)


def csv_attachment(
    columns: Sequence[str], rows: Iterable[Sequence[Any]], filename: str
) -> Response:
    """A table of a page as a CSV download: the same cells (numbers at full precision, text
    neutralised for spreadsheets) and encoding as every export. `filename` is ours, never a
    user's."""
    response = Response(b"".join(iter_csv(columns, rows)), mimetype=CSV_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
