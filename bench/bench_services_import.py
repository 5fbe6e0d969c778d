"""Services import benchmark (issue 13): 2,000 services of 80 departments, each offered
through two or three channels and in one or two journey stages, through the importer's own
code, next to floors measured in the same run.

- First import (every service added). Floor: the file parsed with the csv module and the
  same rows written with bare executemany statements (services, their channel and stage
  links, one audit event each), rolled back.
- The same file again (nothing changes). Floor: the file parsed with the csv module and one
  bare query reading every service with its channel and stage codes, the data the importer
  must compare with.

Each figure is the best of three runs.

    .venv/bin/python bench/bench_services_import.py [--services 2000]
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

from sqlalchemy import insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config import Config  # noqa: E402
from cxprogram import create_app  # noqa: E402
from cxprogram.extensions import db  # noqa: E402
from cxprogram.imports.framework import apply_plan, plan_file  # noqa: E402
from cxprogram.imports.services_import import ServiceImporter  # noqa: E402
from cxprogram.metrics import services as metric_services  # noqa: E402
from cxprogram.models import Channel, Department, JourneyStage  # noqa: E402
from cxprogram.org import services as org_services  # noqa: E402

DEPARTMENTS = 80
CHANNEL_SETS = ("web; phone", "web; phone; in_person", "phone; email")
STAGE_SETS = ("apply", "apply; get_help")
READ_SQL = """
SELECT s.id, s.department_id, s.name, s.description,
       (SELECT group_concat(c.code) FROM service_channels sc JOIN channels c
         ON c.id = sc.channel_id WHERE sc.service_id = s.id),
       (SELECT group_concat(j.code) FROM service_journey_stages sj JOIN journey_stages j
         ON j.id = sj.stage_id WHERE sj.service_id = s.id)
FROM services s
"""


def build_organization() -> None:
    org_services.ensure_settings("Benchmark organization")
    metric_services.ensure_vocabularies()
    db.session.execute(
        insert(Department), [{"code": f"D{i:03d}", "name": f"Dept {i}"} for i in range(DEPARTMENTS)]
    )
    db.session.commit()


def make_csv(services: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["department", "service", "channels", "journey_stages", "description"])
    for k in range(services):
        writer.writerow([f"D{k % DEPARTMENTS:03d}", f"Service {k}", CHANNEL_SETS[k % 3],
                         STAGE_SETS[k % 2], f"What service {k} does"])  # fmt: skip
    return out.getvalue().encode()


def _codes(value: str) -> list[str]:
    return [part.strip() for part in value.split(";")]


def floor_insert(content: bytes) -> float:
    """The same services and links with bare executemany statements; rolled back."""
    depts = dict(db.session.execute(select(Department.code, Department.id)).tuples().all())
    channels = dict(db.session.execute(select(Channel.code, Channel.id)).tuples().all())
    stages = dict(db.session.execute(select(JourneyStage.code, JourneyStage.id)).tuples().all())
    db.session.rollback()
    start = time.perf_counter()
    rows = list(csv.reader(io.StringIO(content.decode())))[1:]
    now = datetime.now(UTC).isoformat()
    raw = db.engine.raw_connection()
    cursor = raw.cursor()
    cursor.execute("BEGIN")
    cursor.executemany(
        "INSERT INTO services (department_id, name, provider, description, is_active, version) "
        "VALUES (?, ?, '', ?, 1, 1)",
        [(depts[r[0]], r[1], r[4]) for r in rows],
    )
    ids = dict(cursor.execute("SELECT name, id FROM services").fetchall())
    cursor.executemany(
        "INSERT INTO audit_events (occurred_at, actor_label, action, entity_type, entity_id, "
        "department_id, after, reason) VALUES (?, 'system', 'create', 'service', ?, ?, ?, "
        "'import')",
        [(now, ids[r[1]], depts[r[0]], json.dumps({"name": r[1], "description": r[4],
          "channels": _codes(r[2]), "journey_stages": _codes(r[3]), "version": 1}))
         for r in rows],
    )  # fmt: skip
    cursor.executemany(
        "INSERT INTO service_channels (service_id, channel_id) VALUES (?, ?)",
        [(ids[r[1]], channels[c]) for r in rows for c in _codes(r[2])],
    )
    cursor.executemany(
        "INSERT INTO service_journey_stages (service_id, stage_id) VALUES (?, ?)",
        [(ids[r[1]], stages[s]) for r in rows for s in _codes(r[3])],
    )
    elapsed = time.perf_counter() - start
    raw.rollback()
    raw.close()
    return elapsed


def floor_read(content: bytes) -> float:
    start = time.perf_counter()
    assert list(csv.reader(io.StringIO(content.decode())))
    rows = db.session.execute(text(READ_SQL)).all()
    elapsed = time.perf_counter() - start
    assert rows
    db.session.rollback()
    return elapsed


def run_import(content: bytes) -> tuple[float, dict[str, int], int]:
    """plan_file + apply_plan + commit, as `cxprogram import services` runs them; with the
    number of SQL statements issued."""
    importer = ServiceImporter()
    statements = 0

    def count(*_: object) -> None:
        nonlocal statements
        statements += 1

    from sqlalchemy import event

    event.listen(db.engine, "before_cursor_execute", count)
    db.session.expire_all()
    start = time.perf_counter()
    plan = plan_file(importer, "services.csv", content, None, 64 * 1024 * 1024)
    assert plan.is_valid, [str(e) for e in plan.errors[:5]]
    counts = apply_plan(importer, plan, None)
    db.session.commit()
    elapsed = time.perf_counter() - start
    event.remove(db.engine, "before_cursor_execute", count)
    return elapsed, counts, statements


def _first_import(content: bytes) -> tuple[float, dict[str, int], int]:
    """An import into an organization without services (those of an earlier run removed)."""
    for table in ("service_channels", "service_journey_stages", "audit_events", "services"):
        db.session.execute(text(f"DELETE FROM {table}"))
    db.session.commit()
    return run_import(content)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=2000)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="cxbench-services-")
    app = create_app(
        Config(database_url=f"sqlite:///{folder}/bench.db", environment="test", testing=True)
    )
    content = make_csv(args.services)
    with app.app_context():
        db.create_all()
        build_organization()
        insert_floor = min(floor_insert(content) for _ in range(3))
        first_s, first, first_q = min(_first_import(content) for _ in range(3))
        read_floor = min(floor_read(content) for _ in range(3))
        again_s, again, again_q = min(run_import(content) for _ in range(3))
    print(f"file: {args.services:,} services of {DEPARTMENTS} departments")
    print(f"first import: {first_s:.2f} s, {first_q:,} statements; floor (csv + bare executemany) "
          f"{insert_floor:.3f} s; ratio {first_s / insert_floor:.1f}x  {first}")  # fmt: skip
    print(f"same file again: {again_s:.2f} s, {again_q:,} statements; floor (csv + one bare read) "
          f"{read_floor:.3f} s; ratio {again_s / read_floor:.1f}x  {again}")  # fmt: skip


if __name__ == "__main__":
    main()
