"""Observations import benchmark: a 100,000-row CSV through the command's own code, next to
a floor measured in the same run.

Floor: parse the same file with the csv module and insert the same rows (codes mapped to
ids) with one bare `executemany` on the same database, then roll back. The import:
`plan_file` + `apply_plan` + commit, exactly what `cxprogram import observations` runs.

Then, each in its own process (so each has its own memory and database), the two other
import paths with their own floors: the A-11 import of an 80,000-row file
(bench_a11.py) and the services import of 2,000 services (bench_services_import.py).

    .venv/bin/python bench/bench_import.py [--rows 100000] [--only-observations]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config import Config  # noqa: E402
from cxprogram import create_app  # noqa: E402
from cxprogram.core.fiscal import FiscalQuarter  # noqa: E402
from cxprogram.extensions import db  # noqa: E402
from cxprogram.imports.framework import apply_plan, plan_file  # noqa: E402
from cxprogram.imports.observations import observation_importer  # noqa: E402
from cxprogram.metrics import services as metric_services  # noqa: E402
from cxprogram.metrics.catalog import SURVEY_METRICS  # noqa: E402
from cxprogram.models import Channel, Department, MetricDefinition, ReportingPeriod, Service  # noqa: E402
from cxprogram.org import services as org_services

DEPARTMENTS, SERVICES, CHANNELS = 100, 5, ("web", "phone")
COLUMNS = "department_id, metric_id, period_id, service_id, channel_id, import_key, value, n, "
COLUMNS += "note, source, created_at, updated_at, version"
FLOOR_SQL = f"INSERT INTO observations ({COLUMNS}) VALUES ({', '.join('?' * 13)})"


def build_organization(quarters: int) -> None:
    """Departments, services, channels, the survey metrics and the periods."""
    org_services.ensure_settings("Benchmark organization")
    metric_services.ensure_vocabularies()
    for spec in SURVEY_METRICS:
        metric_services.ensure_metric(spec)
    for k in range(quarters):
        metric_services.ensure_period(FiscalQuarter(2015, 1).shift(k), 10)
    db.session.execute(
        insert(Department), [{"code": f"D{i:03d}", "name": f"Dept {i}"} for i in range(DEPARTMENTS)]
    )
    depts = db.session.execute(select(Department.id)).scalars().all()
    db.session.execute(
        insert(Service),
        [{"department_id": d, "name": f"Service {k}"} for d in depts for k in range(SERVICES)],
    )
    db.session.commit()


def make_csv(rows: int, quarters: int, seed: int = 11) -> bytes:
    """`rows` observation rows in the import layout, all distinct."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["department", "metric", "period", "value", "n", "service", "channel", "note"])
    written = 0
    for k in range(quarters):
        label = FiscalQuarter(2015, 1).shift(k).label
        for d in range(DEPARTMENTS):
            for s in range(SERVICES):
                for channel in CHANNELS:
                    for spec in SURVEY_METRICS:
                        if written == rows:
                            return out.getvalue().encode()
                        value = round(rng.uniform(1, 5), 3)
                        n = rng.randint(10, 900)
                        row = [f"D{d:03d}", spec.code, label, value, n, f"Service {s}", channel]
                        writer.writerow([*row, ""])
                        written += 1
    raise SystemExit(f"not enough combinations for {rows} rows; raise --quarters")


def floor(content: bytes) -> float:
    """csv parsing plus one bare executemany of the same rows; rolled back afterwards."""
    ids = _ids()
    db.session.rollback()  # end the session's read transaction: SQLite allows one writer
    start = time.perf_counter()
    reader = csv.reader(io.StringIO(content.decode("utf-8")))
    next(reader)
    now = datetime.now(UTC).isoformat()
    params = [
        (ids["d"][r[0]], ids["m"][r[1]], ids["p"][r[2]], ids["s"][(r[0], r[5])], ids["c"][r[6]],
         "", float(r[3]), float(r[4]), r[7], "import", now, now, 1)
        for r in reader
    ]  # fmt: skip
    raw = db.engine.raw_connection()
    cursor = raw.cursor()
    cursor.execute("BEGIN")
    cursor.executemany(FLOOR_SQL, params)
    elapsed = time.perf_counter() - start
    raw.rollback()
    raw.close()
    return elapsed


def _ids() -> dict[str, dict[object, int]]:
    codes = dict(db.session.execute(select(Department.id, Department.code)).all())
    return {
        "d": {c: i for i, c in codes.items()},
        "m": dict(db.session.execute(select(MetricDefinition.code, MetricDefinition.id)).all()),
        "p": dict(db.session.execute(select(ReportingPeriod.label, ReportingPeriod.id)).all()),
        "s": {(codes[d], n): i for i, d, n in db.session.execute(
            select(Service.id, Service.department_id, Service.name))},
        "c": dict(db.session.execute(select(Channel.code, Channel.id)).all()),
    }  # fmt: skip


def run_import(content: bytes) -> tuple[float, dict[str, int]]:
    """The command's code path: plan the whole file, apply it, commit."""
    importer = observation_importer()
    start = time.perf_counter()
    plan = plan_file(importer, "bench.csv", content, None, 64 * 1024 * 1024)
    assert plan.is_valid, [str(e) for e in plan.errors[:5]]
    counts = apply_plan(importer, plan, None)
    db.session.commit()
    return time.perf_counter() - start, counts


def main() -> None:
    """Build, time the floor, the import, the same file again, a file changing every value."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--quarters", type=int, default=20)
    parser.add_argument("--only-observations", action="store_true")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="cxbench-import-")
    app = create_app(
        Config(database_url=f"sqlite:///{folder}/bench.db", environment="test", testing=True)
    )
    content = make_csv(args.rows, args.quarters)
    with app.app_context():
        db.create_all()
        build_organization(args.quarters)
        floor_s = min(floor(content) for _ in range(3))
        import_s, counts = run_import(content)
        again_s, again = run_import(content)
        changed_s, changed = run_import(make_csv(args.rows, args.quarters, seed=12))
    print(f"file: {args.rows:,} rows, {len(content) / 1_048_576:.1f} MB")
    print(f"floor (csv module + one bare executemany): {floor_s:.2f} s, "
          f"{args.rows / floor_s:,.0f} rows/s")  # fmt: skip
    print(f"import (plan_file + apply_plan + commit): {import_s:.2f} s, "
          f"{args.rows / import_s:,.0f} rows/s, ratio {import_s / floor_s:.1f}x")  # fmt: skip
    print(f"  {counts}")
    print(f"same file again (all unchanged): {again_s:.2f} s  {again}")
    print(f"every value changed (updates): {changed_s:.2f} s  {changed}")
    if args.only_observations:
        return
    for script, what in (("bench_a11.py", "A-11 import"), ("bench_services_import.py", "services")):
        print(f"\n== {what} ({script})", flush=True)
        subprocess.run([sys.executable, str(Path(__file__).with_name(script))], check=True)


if __name__ == "__main__":
    main()
