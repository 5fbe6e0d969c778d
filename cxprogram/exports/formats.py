"""Write rows as CSV or XLSX, with every text cell neutralised against formula injection.

Numbers are written at full precision, in the shortest form that reads back as the same
float (`repr`), so an exported file imports back to exactly the same data: the csv module
does this already; openpyxl writes 16 significant digits ("%.16g"), so XLSX number cells
are given their text here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from cxprogram.imports.tabular import neutralise

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell(value: Any) -> Any:
    """Dates as ISO text, None as empty, text neutralised; numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(value)


def to_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a byte-order mark (so Excel reads the accents), CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows([_cell(v) for v in row] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(columns: Sequence[str], rows: Iterable[Sequence[Any]], title: str) -> bytes:
    """One worksheet, header in the first row; numbers stay numbers, dates stay dates."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append(list(columns))
    for row in rows:
        sheet.append([_xlsx_cell(sheet, v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    if value is None or isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(sheet, value=repr(value))  # full precision, not "%.16g"
        cell.data_type = "n"
        return cell
    return neutralise(value)
