"""Freshness and the refresh-rollups job at the synthetic scale (the rollup benchmark's
organization: 200 departments x 40 quarters, 560,000 observations), on SQLite.

All periods rolled up; all closed but the last two (open), as in a running organization.
Times: the freshness check of one period, the refresh job with nothing changed (its body,
and the whole run under the rollup lock with its commit), next to the rollup of one
unchanged period (what the nightly job spends per period) and the job after one edit.

    .venv/bin/python bench/bench_freshness.py [--departments 200] [--quarters 40]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select, update

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import synthetic  # noqa: E402
from bench.bench_rollup import _timed, _touch  # noqa: E402
from config import Config  # noqa: E402
from cxprogram import create_app  # noqa: E402
from cxprogram.extensions import db  # noqa: E402
from cxprogram.metrics.models import PeriodState, ReportingPeriod  # noqa: E402
from cxprogram.rollup.freshness import freshness  # noqa: E402
from cxprogram.rollup.jobs import run_job, run_rollup_refresh  # noqa: E402
from cxprogram.rollup.services import ROLLUP_LOCK, run_rollup  # noqa: E402

OPEN = 2


def main() -> None:
    """Build, roll up, and print the figures (milliseconds: best, median)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--departments", type=int, default=200)
    parser.add_argument("--quarters", type=int, default=40)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="cxbench-fresh-")
    app = create_app(
        Config(database_url=f"sqlite:///{folder}/bench.db", environment="test", testing=True)
    )
    with app.app_context():
        db.create_all()
        rows = synthetic.build(args.departments, args.quarters)
        periods = list(
            db.session.scalars(select(ReportingPeriod).order_by(ReportingPeriod.start_date))
        )
        closed = [p.id for p in periods[:-OPEN]]
        db.session.execute(
            update(ReportingPeriod)
            .where(ReportingPeriod.id.in_(closed))
            .values(state=PeriodState.CLOSED)
        )
        db.session.expire_all()
        for period in periods:
            run_rollup(period, datetime.now(UTC))
        db.session.commit()
        last = periods[-1]
        figures = {
            "freshness(last period), unchanged": _timed(lambda: freshness(last)),
            f"refresh job body ({OPEN} open periods), unchanged": _timed(
                lambda: run_rollup_refresh(datetime.now(UTC))
            ),
            "refresh job run (lock, transaction, commit), unchanged": _timed(
                lambda: run_job(app, "refresh-rollups", run_rollup_refresh, lock=ROLLUP_LOCK),
                before=db.session.rollback,  # this session's transaction would block the job's
            ),
            "for contrast: run_rollup(last period), unchanged": _timed(
                lambda: run_rollup(last, datetime.now(UTC))
            ),
        }
        db.session.rollback()
        figures["freshness(last period), one observation edited"] = _timed(
            lambda: freshness(last), before=lambda: (db.session.rollback(), _touch(last))
        )
        db.session.rollback()
        figures["refresh job body after one edit (recomputes the last period)"] = _timed(
            lambda: run_rollup_refresh(datetime.now(UTC)),
            before=lambda: (db.session.rollback(), _touch(last)),
        )
        db.session.rollback()
        db.engine.dispose()
    shutil.rmtree(folder)
    print(f"observations: {rows:,}; {len(periods)} periods, {OPEN} open")
    for name, (best, median, cpu) in figures.items():
        print(f"{name}: {best * 1000:.1f} ms (median {median * 1000:.1f}, CPU {cpu * 1000:.1f})")


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"(whole benchmark {time.perf_counter() - start:.0f} s)")
