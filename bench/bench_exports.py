"""Export benchmark: the observations export as CSV and as XLSX through the app's own code,
next to floors measured in the same run on the same rows.

Floors: the rows already in memory, written by `csv.writer` alone (CSV) and by the XLSX
writer alone (`cxprogram.exports.xlsx.iter_xlsx`, XLSX), output thrown away. The exports:
`formats.iter_csv` / `formats.iter_workbook` over `queries.observation_rows` (the database
read, cell neutralisation and the writer), exactly what a download or an export job runs.
Wall and CPU seconds (CPU is the figure to compare on a loaded machine); peak memory is the
peak of Python allocations (tracemalloc) in a second pass, above what was held before.
`--openpyxl` adds openpyxl's write-only mode on the same rows, for the choice of writer.

    .venv/bin/python bench/bench_exports.py [--quarters 22] [--openpyxl]
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import synthetic  # noqa: E402
from config import Config  # noqa: E402
from cxprogram import create_app  # noqa: E402
from cxprogram.auth import services as auth  # noqa: E402
from cxprogram.auth.models import Role  # noqa: E402
from cxprogram.exports import formats, queries  # noqa: E402
from cxprogram.exports.xlsx import iter_xlsx  # noqa: E402
from cxprogram.extensions import db  # noqa: E402

COLUMNS = queries.OBSERVATION_COLUMNS


class _Null:
    """A text or binary file that drops what it is given."""

    def write(self, data: Any) -> int:
        return len(data)


def _drain(chunks: Iterable[bytes]) -> int:
    return sum(len(chunk) for chunk in chunks)


def _timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall and CPU seconds of one call, and what it returned."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def _peak_mb(fn: Callable[[], Any]) -> float:
    """The peak of Python allocations during fn, above those alive before it, in MiB."""
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return (peak - before) / 1_048_576


def _openpyxl(rows: list[tuple[Any, ...]]) -> int:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Observations")
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append(row)
    with tempfile.TemporaryFile() as out:
        book.save(out)
        return out.tell()


def main() -> None:
    """Build the organization, then time and measure each floor and export."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--departments", type=int, default=200)
    parser.add_argument("--quarters", type=int, default=22)  # 200 x 70 x 22 = 308,000 rows
    parser.add_argument("--openpyxl", action="store_true")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="cxbench-exports-")
    app = create_app(
        Config(database_url=f"sqlite:///{folder}/bench.db", environment="test", testing=True)
    )
    with app.app_context():
        db.create_all()
        total = synthetic.build(args.departments, args.quarters)
        chief = auth.create_user("chief@example.test", "Chief", Role.CHIEF, None, [])
        db.session.commit()
        flt = queries.ExportFilter(reader=chief)
        rows = list(queries.observation_rows(flt))
        db.session.rollback()
        cases: dict[str, Callable[[], Any]] = {
            "CSV floor (csv.writer alone)": lambda: csv.writer(_Null()).writerows(rows),
            "CSV export (iter_csv over the query)": lambda: _drain(
                formats.iter_csv(COLUMNS, queries.observation_rows(flt))),
            "XLSX floor (iter_xlsx alone)": lambda: _drain(iter_xlsx(COLUMNS, rows, "Obs")),
            "XLSX export (iter_workbook over the query)": lambda: _drain(
                formats.iter_workbook(COLUMNS, queries.observation_rows(flt), "Observations")),
        }  # fmt: skip
        if args.openpyxl:
            cases["XLSX reference: openpyxl write-only"] = lambda: _openpyxl(rows)
        results = {}
        for name, fn in cases.items():
            wall, cpu, size = _timed(fn)
            db.session.rollback()
            results[name] = (wall, cpu, size, _peak_mb(fn))
            db.session.rollback()
        first_s = _first_row_seconds(flt)
    _report(total, results, first_s)


def _first_row_seconds(flt: queries.ExportFilter) -> float:
    """Seconds from the start of the CSV export to its first chunk of rows (after the header)."""
    started = time.perf_counter()
    chunks = formats.iter_csv(COLUMNS, queries.observation_rows(flt))
    next(chunks)
    next(chunks)
    seconds = time.perf_counter() - started
    chunks.close()
    return seconds


def _report(
    total: int, results: dict[str, tuple[float, float, Any, float]], first_s: float
) -> None:
    print(f"rows: {total:,} observations (SQLite), 11 columns")
    floors = {"CSV": None, "XLSX": None}
    for name, (wall, cpu, size, peak) in results.items():
        kind = name.split()[0]
        floor = floors[kind] = floors[kind] or (wall, cpu)
        size_text = f", {size / 1_048_576:.1f} MB" if isinstance(size, int) else ""
        print(f"{name}: {wall:.2f} s wall, {cpu:.2f} s CPU{size_text}, peak memory "
              f"{peak:.1f} MB; ratio to floor {wall / floor[0]:.1f}x wall, "
              f"{cpu / floor[1]:.1f}x CPU")  # fmt: skip
    print(f"CSV export: first chunk of rows after {first_s:.2f} s")
    print(f"rows held in memory for the floors (not counted above): {total:,}")


if __name__ == "__main__":
    main()
