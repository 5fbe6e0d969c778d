"""Rollup benchmark at the synthetic scale, next to a floor measured in the same run.

Floor: the bare SQL GROUP BY that sums value x n and n per department and metric for the
period. Prints seconds, the ratio to the floor, peak memory, and the time at 4x the data.

    .venv/bin/python bench/bench_rollup.py [--departments 200] [--quarters 40]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import synthetic  # noqa: E402
from config import Config  # noqa: E402
from cxprogram import create_app  # noqa: E402
from cxprogram.extensions import db  # noqa: E402
from cxprogram.metrics.models import Observation, ReportingPeriod  # noqa: E402
from cxprogram.rollup.services import run_rollup  # noqa: E402

REPEAT = 15
FLOOR_SQL = """
SELECT o.department_id, o.metric_id, SUM(o.value * o.n), SUM(o.n), COUNT(*)
FROM observations o WHERE o.period_id = :period GROUP BY o.department_id, o.metric_id
"""


def _timed(fn, repeat: int = REPEAT, before=None) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    """Best and median wall seconds, and best CPU seconds of this process, of fn over repeat
    runs (before() runs untimed each time). CPU time hides other processes on the machine."""
    times, cpu = [], []
    for _ in range(repeat):
        if before is not None:
            before()
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return min(times), statistics.median(times), min(cpu)


def _touch(period: ReportingPeriod) -> None:
    """Edit one observation of the period, so that its rollup has new inputs."""
    obs = db.session.scalars(
        select(Observation).where(Observation.period_id == period.id).limit(1)
    ).one()
    obs.value = obs.value + 0.001
    db.session.flush()


def measure(departments: int, quarters: int) -> dict[str, float]:
    """Build the data in a fresh SQLite file and time the rollup and its floor."""
    folder = tempfile.mkdtemp(prefix="cxbench-rollup-")
    app = create_app(
        Config(database_url=f"sqlite:///{folder}/bench.db", environment="test", testing=True)
    )
    with app.app_context():
        db.create_all()
        start = time.perf_counter()
        rows = synthetic.build(departments, quarters)
        db.session.commit()
        build_s = time.perf_counter() - start
        periods = list(
            db.session.scalars(select(ReportingPeriod).order_by(ReportingPeriod.start_date))
        )
        last = periods[-1]

        def bare() -> None:
            db.session.execute(text(FLOOR_SQL), {"period": last.id}).all()

        floor = _timed(bare)

        def one() -> None:
            run_rollup(last, datetime.now(UTC))

        # cold: nothing cached yet, so every period is aggregated once (rolled back after)
        cold = _timed(one, repeat=1)
        db.session.rollback()
        start = time.perf_counter()
        for period in periods:
            run_rollup(period, datetime.now(UTC))
        db.session.commit()
        all_s = time.perf_counter() - start
        # warm: earlier periods cached; one observation of the period changed (untimed)
        warm = _timed(one, before=lambda: (db.session.rollback(), _touch(last)))
        db.session.rollback()
        unchanged = _timed(one)
        db.session.rollback()
        # the floor again, now that the rollup has warmed the same pages: keep the best
        floor = tuple(min(a, b) for a, b in zip(floor, _timed(bare), strict=True))  # type: ignore[assignment]
        db.engine.dispose()
    shutil.rmtree(folder)  # the database is up to 400 MB at 4x
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "rows": rows, "build_s": build_s, "floor_s": floor[0], "floor_median_s": floor[1],
        "floor_cpu_s": floor[2], "one_s": warm[0], "one_median_s": warm[1], "one_cpu_s": warm[2],
        "cold_s": cold[0],
        "unchanged_s": unchanged[0], "all_s": all_s, "peak_mb": peak_mb,
    }  # fmt: skip


def main() -> None:
    """Run at 1x and 4x and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--departments", type=int, default=200)
    parser.add_argument("--quarters", type=int, default=40)
    parser.add_argument("--no-scale", action="store_true", help="skip the 4x run")
    args = parser.parse_args()
    base = measure(args.departments, args.quarters)
    ms = 1000
    print(f"observations: {base['rows']:,} (built in {base['build_s']:.1f} s)")
    print(
        f"floor (bare GROUP BY, one period): {base['floor_s'] * ms:.1f} ms "
        f"(median {base['floor_median_s'] * ms:.1f} ms)"
    )
    print(
        f"rollup, one period (one observation changed, earlier periods cached): "
        f"{base['one_s'] * ms:.1f} ms (median {base['one_median_s'] * ms:.1f} ms), "
        f"ratio {base['one_s'] / base['floor_s']:.1f}x the floor"
    )
    print(
        f"  the same in CPU time of this process: floor {base['floor_cpu_s'] * ms:.1f} ms, "
        f"rollup {base['one_cpu_s'] * ms:.1f} ms, "
        f"ratio {base['one_cpu_s'] / base['floor_cpu_s']:.1f}x"
    )
    print(f"rollup, one period, inputs unchanged: {base['unchanged_s'] * ms:.1f} ms")
    print(f"rollup, one period, nothing cached yet: {base['cold_s'] * ms:.1f} ms")
    print(f"rollup, all {args.quarters} periods (none cached at first): {base['all_s']:.2f} s")
    print(f"peak memory (max RSS): {base['peak_mb']:.0f} MB")
    if not args.no_scale:
        big = measure(args.departments * 4, args.quarters)
        print(
            f"4x data ({big['rows']:,} observations): one period {big['one_s'] * ms:.1f} ms, "
            f"{big['one_s'] / base['one_s']:.1f}x the time "
            f"(CPU {big['one_cpu_s'] * ms:.1f} ms, {big['one_cpu_s'] / base['one_cpu_s']:.1f}x; "
            f"floor {big['floor_s'] * ms:.1f} ms); "
            f"all periods {big['all_s']:.1f} s; peak {big['peak_mb']:.0f} MB"
        )


if __name__ == "__main__":
    main()
