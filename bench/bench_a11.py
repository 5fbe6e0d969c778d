"""A-11 import benchmark (issue 13): a file of 80,000 A-11 rows (about 560,000
observations), made from the demo's real file copied with new record ids and departments,
through the command's own code, next to a floor measured in the same run.

Floor: parse the same file with the csv module, work each row's answered questions out to a
score (the pooled mean of the answer counts), and insert those observations with one bare
`executemany` on the same database, then roll back. The import: `read_a11_file` +
`load_a11` + commit, exactly what `cxprogram import a11` runs.

    .venv/bin/python bench/bench_a11.py [--rows 80000]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config import Config  # noqa: E402
from cxprogram import create_app  # noqa: E402
from cxprogram.extensions import db  # noqa: E402
from cxprogram.imports.a11 import read_a11_file  # noqa: E402
from cxprogram.imports.a11_load import load_a11  # noqa: E402

SOURCE = Path(__file__).resolve().parents[1] / "data" / "a11-hisp-cx-fy2021q1-fy2023q1.csv"
COLUMNS = "department_id, metric_id, period_id, service_id, channel_id, import_key, value, n, "
COLUMNS += "note, source, created_at, updated_at, version, distribution"
FLOOR_SQL = f"INSERT INTO observations ({COLUMNS}) VALUES ({', '.join('?' * 14)})"


def make_file(rows: int, folder: Path) -> Path:
    """`rows` A-11 rows: the real file's rows again and again, each copy its own departments
    (abbreviation and name suffixed) and record ids."""
    with SOURCE.open(encoding="utf-8-sig", newline="") as stream:
        reader = csv.reader(stream)
        header = next(reader)
        real = [r for r in reader if any(v.strip() for v in r)]
    col = {name.removeprefix("attributes_"): k for k, name in enumerate(header)}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    copy = 0
    while True:
        for row in real:
            if rows == 0:
                path = folder / "a11.csv"
                path.write_text(out.getvalue(), encoding="utf-8")
                return path
            new = list(row)
            new[col["id"]] = f"{row[col['id']]}-{copy}"
            new[col["organization_abbreviation"]] = f"{row[col['organization_abbreviation']]}{copy}"
            new[col["organization_name"]] = f"{row[col['organization_name']]} {copy}"
            writer.writerow(new)
            rows -= 1
        copy += 1


def floor(path: Path) -> tuple[float, int]:
    """csv parsing, the pooled score of each answered question, one bare executemany."""
    ids = db.session.execute(db.text("SELECT id FROM departments LIMIT 1")).scalar_one()
    metrics = dict(db.session.execute(db.text("SELECT code, id FROM metric_definitions")).all())
    period = db.session.execute(db.text("SELECT id FROM reporting_periods LIMIT 1")).scalar_one()
    db.session.rollback()
    from cxprogram.imports.a11 import SURVEY_METRICS

    start = time.perf_counter()
    now = datetime.now(UTC).isoformat()
    params = []
    with path.open(encoding="utf-8", newline="") as stream:
        reader = csv.reader(stream)
        header = [h.removeprefix("attributes_") for h in next(reader)]
        col = {name: k for k, name in enumerate(header)}
        for row in reader:
            for question, metric, _ in SURVEY_METRICS:
                counts = [int(float(row[col[f"{question}_{k}"]] or 0)) for k in range(1, 6)]
                total = sum(counts)
                if total:
                    value = sum(k * c for k, c in enumerate(counts, start=1)) / total
                    params.append((ids, metrics[metric], period, None, None,
                                   f"a11:{row[col['id']]}", value, float(total), "", "import",
                                   now, now, 1, json.dumps(counts)))  # fmt: skip
    raw = db.engine.raw_connection()
    cursor = raw.cursor()
    cursor.execute("BEGIN")
    cursor.executemany(FLOOR_SQL, params)
    elapsed = time.perf_counter() - start
    raw.rollback()
    raw.close()
    return elapsed, len(params)


def run_import(path: Path) -> tuple[float, dict[str, int]]:
    start = time.perf_counter()
    rows = read_a11_file(path)
    summary = load_a11(rows, source_name=path.name)
    db.session.commit()
    return time.perf_counter() - start, summary.as_dict()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=80_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="cxbench-a11-"))
    app = create_app(
        Config(database_url=f"sqlite:///{folder}/bench.db", environment="test", testing=True)
    )
    path = make_file(args.rows, folder)
    with app.app_context():
        db.create_all()

        first_s, counts = run_import(path)
        floor_s, observations = min(floor(path) for _ in range(3))
        again_s, again = run_import(path)
    print(f"file: {args.rows:,} A-11 rows, {path.stat().st_size / 1_048_576:.1f} MB, "
          f"{observations:,} observations")  # fmt: skip
    print(f"floor (csv module + scores + one bare executemany): {floor_s:.2f} s, "
          f"{observations / floor_s:,.0f} observations/s")  # fmt: skip
    print(f"import (read_a11_file + load_a11 + commit): {first_s:.2f} s, "
          f"{observations / first_s:,.0f} observations/s, "
          f"ratio {first_s / floor_s:.1f}x")  # fmt: skip
    print(f"  {counts}")
    print(f"same file again (all unchanged): {again_s:.2f} s  {again}")


if __name__ == "__main__":
    main()
