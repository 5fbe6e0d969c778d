"""Read the first worksheet of an uploaded .xlsx, bounded before its cells are parsed.

A workbook is a zip of XML parts. Its central directory declares each part's uncompressed
size, and zipfile never inflates a part past its declared size (a part that lies fails its
CRC), so the declared sizes bound the work: their total is checked first. The `<row>` tags
of every XML part are then counted on the raw bytes (a fast scan, stopping past the limit),
so a file of too many rows is refused in a fraction of a second: openpyxl, even in
read-only mode, parses a whole sheet when it opens a workbook whose sheets do not declare
their dimension. openpyxl finally streams the first sheet's rows, never more rows or
columns than the limits allow.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from typing import IO, Any

from config import ImportLimits
from cxprogram.imports.tabular import TableError, refuse

NOT_READABLE = "not a readable .xlsx file"
# <row ...>, <row> or <x:row ...>, and not <rowBreaks>
ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")
CHUNK = 1 << 20
OVERLAP = 64  # longer than any row tag's start, so no tag is cut between two chunks


def xlsx_rows(data: bytes, limits: ImportLimits) -> Iterator[list[str]]:
    """The first sheet's rows as text, trailing empty cells dropped; TableError when the
    workbook is over a limit or cannot be read (a damaged zip, broken XML...)."""
    import openpyxl

    try:
        _check_parts(zipfile.ZipFile(io.BytesIO(data)), limits)
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except TableError:
        raise
    except Exception as error:  # openpyxl raises whatever its zip or XML parser met
        raise refuse(NOT_READABLE) from error
    try:
        yield from _rows(book, limits)
    except TableError:
        raise
    except Exception as error:
        raise refuse(NOT_READABLE) from error
    finally:
        book.close()


def _check_parts(archive: zipfile.ZipFile, limits: ImportLimits) -> None:
    """Refuse a workbook too large once uncompressed, or with a part of too many rows."""
    parts = archive.infolist()
    if sum(info.file_size for info in parts) > limits.import_max_unzipped_bytes:
        size = f"{limits.import_max_unzipped_bytes / 1_048_576:.1f} MB"
        raise refuse(f"the workbook's parts are larger than the {size} limit once "
                     "uncompressed (IMPORT_MAX_UNZIPPED_BYTES)")  # fmt: skip
    for info in parts:
        if info.filename.endswith(".xml"):  # wherever the workbook's relations put sheets
            with archive.open(info) as part:
                _check_row_count(part, limits.import_max_rows)


def _rows(book: Any, limits: ImportLimits) -> Iterator[list[str]]:
    """The header (at most one column past the limit), then the data rows as wide as it is:
    cells right of the header are ignored, so a cell at column XFD costs nothing."""
    if not book.worksheets:
        raise refuse(NOT_READABLE)
    sheet = book.worksheets[0]
    first = sheet.iter_rows(max_row=1, max_col=limits.import_max_columns + 1, values_only=True)
    header = [_cell_text(v) for v in next(first, ())]
    while header and not header[-1]:
        header.pop()
    yield header
    width = max(len(header), 1)
    # the header, the limit and one row more, to refuse it
    for values in sheet.iter_rows(
        min_row=2, max_row=limits.import_max_rows + 2, max_col=width, values_only=True
    ):
        yield [_cell_text(v) for v in values]


def _check_row_count(part: IO[bytes], max_rows: int) -> None:
    """Refuse a sheet holding more rows than the header and `max_rows` data rows."""
    count, tail = 0, b""
    while chunk := part.read(CHUNK):
        window = tail + chunk
        cut = max(len(window) - OVERLAP, 0)
        count += sum(1 for m in ROW_TAG.finditer(window) if m.start() < cut)
        tail = window[cut:]
        if count > max_rows + 1:
            break
    else:
        count += len(ROW_TAG.findall(tail))
    if count > max_rows + 1:
        raise refuse(f"the file has more than {max_rows:,} rows, the limit (IMPORT_MAX_ROWS)")


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
