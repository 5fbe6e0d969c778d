"""The import bomb of issue 16: a small .xlsx holding 300,000 observation rows.

openpyxl (write-only mode) writes the workbook with its header and one row; that row is then
repeated in the sheet's XML up to `rows`, without the cell references a reader may do without
(appending 300,000 rows through openpyxl takes a minute; this takes a second or two). Every
row names an unknown department, so a reader that planned them would list 300,000 errors.
"""

from __future__ import annotations

import io
import zipfile

HEADER = ["department", "metric", "period", "value"]
ROW = '<row r="{n}"><c t="inlineStr"><is><t>XX</t></is></c><c t="inlineStr"><is><t>satisfaction</t></is></c><c t="inlineStr"><is><t>FY2023-Q1</t></is></c><c t="n"><v>4.5</v></c></row>'  # noqa: E501


def xlsx_bomb(rows: int = 300_000) -> bytes:
    """The workbook: HEADER then `rows` rows, deflated at the highest level."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("observations")
    sheet.append(HEADER)
    written = io.BytesIO()
    book.save(written)
    source = zipfile.ZipFile(written)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = "".join(ROW.format(n=n) for n in range(2, rows + 2)).encode()
                data = data.replace(b"</sheetData>", body + b"</sheetData>")
            target.writestr(info.filename, data)
    return out.getvalue()
