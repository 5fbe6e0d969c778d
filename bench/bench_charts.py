"""Chart drawing benchmark: what a dashboard's charts cost cold (a new worker, matplotlib not
yet imported), then each chart kind warm, and a cache hit.

    .venv/bin/python bench/bench_charts.py [--repeat 20]

Cold: a fresh interpreter imports cxprogram.charts and draws the dashboard's set (ten
sparklines and one waterfall with 12 parts) and one drill-down's set (eight XmR charts).
Warm: the median of --repeat draws of each kind in this process. CPU time is printed beside
wall time: on a shared machine the wall clock says more about the neighbours than the charts.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cxprogram import charts  # noqa: E402

LABELS = [f"FY{2021 + i // 4}-Q{i % 4 + 1}" for i in range(12)]
VALUES = [4.0, 4.1, 3.9, None, 4.05, 4.2, 4.1, 3.95, 4.0, 4.6, 4.1, 3.5]
PARTS = [(f"Department {i} service", 0.01 * (-1) ** i) for i in range(11)]


def sparkline(i: int = 0) -> object:
    return charts.sparkline(VALUES[:8], title=f"Metric {i}", desc="Eight quarters.")


def waterfall(i: int = 0) -> object:
    return charts.waterfall(
        4.1,
        [*PARTS, ("Other departments", 0.002)],
        4.112,
        title=f"What moved {i}",
        desc="d",
        start_label="FY2022-Q4",
        end_label="FY2023-Q1",
    )


def xmr(i: int = 0) -> object:
    return charts.xmr_chart(
        LABELS,
        VALUES,
        center=4.05,
        lpl=3.7,
        upl=4.4,
        org_values=[4.02] * 12,
        target=4.2,
        title=f"Metric {i}",
        desc="d",
    )


COLD = """
import sys, time, json
clock = time.process_time if {cpu!r} else time.perf_counter
t0 = clock()
sys.path.insert(0, {root!r}); sys.path.insert(0, {bench!r})
import bench_charts as b
t1 = clock()
[b.sparkline(i) for i in range(10)]; b.waterfall()
t2 = clock()
[b.xmr(i) for i in range(8)]
t3 = clock()
print(json.dumps({{"import": t1 - t0, "dashboard": t2 - t1, "drilldown": t3 - t2}}))
"""


def cold(cpu: bool) -> dict[str, float]:
    """Time a fresh interpreter's import and first draws (wall clock, or its CPU time)."""
    code = COLD.format(root=str(ROOT), bench=str(ROOT / "bench"), cpu=cpu)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def warm(repeat: int) -> dict[str, tuple[float, float]]:
    """Median wall and CPU seconds per chart kind, drawn again and again in this process."""
    result = {}
    for name, draw in (("sparkline", sparkline), ("waterfall", waterfall), ("xmr", xmr)):
        draw()
        walls, cpus = [], []
        for i in range(repeat):
            w, c = time.perf_counter(), time.process_time()
            draw(i)
            walls.append(time.perf_counter() - w)
            cpus.append(time.process_time() - c)
        result[name] = (statistics.median(walls), statistics.median(cpus))
    key = ("bench", 1, "xmr")
    charts.cached(key, xmr)
    t = time.perf_counter()
    for _ in range(1000):
        charts.cached(key, xmr)
    hit = (time.perf_counter() - t) / 1000
    result["cache hit"] = (hit, hit)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    walls, cpus = [cold(False) for _ in range(3)], [cold(True) for _ in range(3)]
    print("cold (fresh interpreter, best of 3)    wall ms    cpu ms")
    for part in ("import", "dashboard", "drilldown"):
        wall, cpu = min(r[part] for r in walls), min(r[part] for r in cpus)
        print(f"  {part:<36} {wall * 1000:8.1f}  {cpu * 1000:8.1f}")
    wall = min(r["import"] + r["dashboard"] for r in walls)
    cpu = min(r["import"] + r["dashboard"] for r in cpus)
    print(f"  {'dashboard incl. import':<36} {wall * 1000:8.1f}  {cpu * 1000:8.1f}")
    print(f"warm (median of {args.repeat})                wall ms    cpu ms")
    for name, (wall, cpu) in warm(args.repeat).items():
        print(f"  {name:<36} {wall * 1000:8.3f}  {cpu * 1000:8.3f}")


if __name__ == "__main__":
    main()
