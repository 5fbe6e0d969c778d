"""The export writers without a database: the XLSX writer's cells read back by openpyxl,
the CSV's neutralised cells, a job's staleness, and the export limits from the environment."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, date, datetime, timedelta

import openpyxl
import pytest

from config import ConfigError, ExportLimits, from_env
from cxprogram.exports.formats import iter_csv, iter_workbook, whole
from cxprogram.exports.models import STALE_AFTER, ExportJob, JobState
from cxprogram.exports.xlsx import column_letters

COLUMNS = ["text", "number", "day", "empty", "formula", "integer"]
ROWS = [
    ("a < b & c", 0.1 + 0.2, date(2022, 7, 1), None, "=HYPERLINK(1)", -3),
    ("  spaced  ", 1 / 3, date(1900, 3, 1), "", "+1", 10**15),
]


def test_xlsx_cells_read_back_as_written_at_full_precision() -> None:
    data = b"".join(iter_workbook(COLUMNS, ROWS, "Observations: [all]"))
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Observations_ _all_"]
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0] == tuple(COLUMNS)
    assert rows[1] == ("a < b & c", 0.30000000000000004, datetime(2022, 7, 1), None,
                       "'=HYPERLINK(1)", -3)  # fmt: skip
    assert rows[2] == ("  spaced  ", 1 / 3, datetime(1900, 3, 1), None, "'+1", 10**15)


def test_xlsx_is_written_as_it_goes() -> None:
    """Bytes come out before the last row is read: the writer holds one batch."""
    many = ((f"row {i}", float(i)) for i in range(5_000))
    chunks = iter_workbook(["name", "value"], many, "Big")
    first = next(chunks)
    assert first.startswith(b"PK") and len(first) < 100_000
    rest = b"".join(chunks)
    with zipfile.ZipFile(io.BytesIO(first + rest)) as book:
        assert book.read("xl/worksheets/sheet1.xml").count(b"<row ") == 5_001


def test_csv_neutralises_text_and_keeps_numbers() -> None:
    chunks = list(iter_csv(COLUMNS, ROWS))
    assert chunks[0] == "\ufefftext,number,day,empty,formula,integer\r\n".encode()
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"))))
    assert rows[1] == ["a < b & c", "0.30000000000000004", "2022-07-01", "", "'=HYPERLINK(1)", "-3"]
    assert rows[2][4] == "'+1" and float(rows[2][1]) == 1 / 3


def test_column_letters() -> None:
    letters = column_letters(703)
    assert letters[:3] == ["A", "B", "C"] and letters[25:28] == ["Z", "AA", "AB"]
    assert letters[701:] == ["ZZ", "AAA"]


def test_an_unfinished_job_that_stopped_moving_is_stale() -> None:
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    job = ExportJob(state=JobState.RUNNING, updated_at=now - STALE_AFTER - timedelta(seconds=1))
    assert job.is_stale(now) and job.is_finished(now)
    job.updated_at = now - timedelta(seconds=30)
    assert not job.is_stale(now) and not job.is_finished(now)
    job.state, job.updated_at = JobState.READY, now - timedelta(days=1)
    assert not job.is_stale(now) and job.is_finished(now)


def test_export_limits_from_the_environment() -> None:
    assert from_env({}).export_limits == ExportLimits()
    limits = from_env({"EXPORT_JOB_ROWS_XLSX": "5000", "EXPORT_JOB_KEEP_HOURS": "2"}).export_limits
    assert (limits.job_rows_xlsx, limits.job_keep_hours) == (5000, 2)
    with pytest.raises(ConfigError, match="EXPORT_JOB_ROWS_CSV"):
        from_env({"EXPORT_JOB_ROWS_CSV": "-1"})


def test_xlsx_header_is_bold_and_frozen_and_columns_have_widths() -> None:
    data = b"".join(iter_workbook(["name", "a rather long header"], [("x", 1.5)], "W", [30, 200]))
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.active
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.b and sheet["B1"].font.b and not sheet["A2"].font.b
    assert sheet.column_dimensions["A"].width == 30
    assert sheet.column_dimensions["B"].width == 80, "at most MAX_WIDTH"
    default = b"".join(iter_workbook(["name", "a rather long header"], [], "W"))
    sheet = openpyxl.load_workbook(io.BytesIO(default)).active
    assert sheet.column_dimensions["A"].width == 8  # MIN_WIDTH
    assert sheet.column_dimensions["B"].width == len("a rather long header") + 4


def test_whole_numbers_are_typed_alike_in_csv_and_xlsx() -> None:
    row = [whole(120.0), whole(4.25), whole(None), whole(1e16), whole(-0.0)]
    text = list(csv.reader(io.StringIO(b"".join(iter_csv(list("abcde"), [row])).decode())))
    book = openpyxl.load_workbook(io.BytesIO(b"".join(iter_workbook(list("abcde"), [row], "T"))))
    typed = next(book.active.iter_rows(min_row=2, values_only=True))
    assert text[1] == ["120", "4.25", "", "1e+16", "0"]
    assert typed == (120, 4.25, None, 1e16, 0)
    assert [str(v) for v in typed if v is not None] == ["120", "4.25", "1e+16", "0"]
