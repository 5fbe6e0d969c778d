"""Write rows as CSV or XLSX, as a stream of bytes, with every text cell neutralised against
formula injection.

Both formats are produced while the rows are read, so memory holds one batch whatever the
row count, and a download starts at once. Numbers are written at full precision, in the
shortest form that reads back as the same float (`repr`), so an exported file imports back
to exactly the same data: the csv module does this already, and so does `xlsx.iter_xlsx`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any

from cxprogram.exports.xlsx import iter_xlsx
from cxprogram.imports.tabular import neutralise

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MIMETYPES = {"csv": CSV_TYPE, "xlsx": XLSX_TYPE}
CHUNK_BYTES = 64 * 1024


def _cell(value: Any) -> Any:
    """Dates as ISO text, None as empty, text neutralised; numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(value)


def iter_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """UTF-8 with a byte-order mark (so Excel reads the accents), CRLF line ends; the
    header is sent before the first row is read, then about CHUNK_BYTES at a time."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    yield ("\ufeff" + out.getvalue()).encode("utf-8")
    out.seek(0)
    out.truncate()
    for row in rows:
        writer.writerow([_cell(v) for v in row])
        if out.tell() >= CHUNK_BYTES:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode("utf-8")


def _xlsx_cell(value: Any) -> Any:
    """Numbers, dates and None as they are; text neutralised."""
    return neutralise(value) if isinstance(value, str) else value


def iter_workbook(
    columns: Sequence[str], rows: Iterable[Sequence[Any]], title: str
) -> Iterator[bytes]:
    """One worksheet named `title`, header in the first row; numbers stay numbers (at full
    precision), dates stay dates."""
    cells = ([_xlsx_cell(v) for v in row] for row in rows)
    return iter_xlsx(columns, cells, title)


def iter_format(
    fmt: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], title: str
) -> Iterator[bytes]:
    """The bytes of the rows in this format ("csv" or "xlsx")."""
    return iter_csv(columns, rows) if fmt == "csv" else iter_workbook(columns, rows, title)
