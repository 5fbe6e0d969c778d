"""Benchmark the quarterly PDF (issue 11): the demo's FY2023-Q1 report (18 departments) and a
synthetic 60-department one, each beside its floor measured in the same run: WeasyPrint
alone (layout and write, PDF/UA-1) on the already rendered HTML of the same report.

Each case runs in a fresh process (`--case`), so its peak memory is its own.

    python -m bench.bench_report            # both cases, a table
    python -m bench.bench_report --case demo
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from config import Config
from cxprogram import create_app
from cxprogram.extensions import db
from cxprogram.metrics.models import ReportingPeriod

GOALS = {"demo": 6.0, "synthetic-60": 20.0}  # seconds, on this 2-core machine


def _timed(fn: Any) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def _prepare(case: str, folder: str) -> Any:
    """A database holding the case's data and snapshots; returns the app."""
    app = create_app(
        Config(database_url=f"sqlite:///{folder}/bench.db", environment="test", testing=True)
    )
    with app.app_context():
        db.create_all()
        if case == "demo":
            from cxprogram.demo import services as demo

            demo.load_demo()
        else:
            from bench import synthetic

            synthetic.build(departments=60, quarters=12)
        db.session.commit()
    return app


def measure(case: str) -> dict[str, Any]:
    """Time the report of the case's last period (or FY2023-Q1 of the demo)."""
    from weasyprint import HTML

    from cxprogram.reports import content, document, render, services
    from cxprogram.rollup.queries import latest_snapshot
    from cxprogram.rollup.services import run_rollup

    folder = tempfile.mkdtemp(prefix="cxbench-report-")
    app = _prepare(case, folder)
    with app.app_context():
        periods = list(
            db.session.scalars(select(ReportingPeriod).order_by(ReportingPeriod.end_date))
        )
        if case == "demo":
            periods = [p for p in periods if p.label <= "FY2023-Q1"]
        for period in periods:
            run_rollup(period, datetime.now(UTC))
        db.session.commit()
        period = periods[-1]
        snapshot = latest_snapshot(period.id)
        assert snapshot is not None
        payload, read_s, _ = _timed(lambda: services.report_payload(period, snapshot, None))
    made = datetime.now(UTC).isoformat()

    def whole() -> render.RenderResult:
        model = content.build_model(payload.document, payload.facts, made)
        return render.render_pdf(document.build_html(model), identifier=payload.identifier)

    result, total_s, total_cpu = _timed(whole)
    html = document.build_html(content.build_model(payload.document, payload.facts, made))
    options = {"pdf_variant": "pdf/ua-1", "pdf_identifier": payload.identifier}

    def floor() -> bytes:
        fetcher = render.StaticFetcher()
        page = HTML(string=html, base_url=render.BASE_URL, url_fetcher=fetcher)
        return page.render(**options).write_pdf(**options)  # type: ignore[no-any-return]

    _, floor_s, floor_cpu = _timed(floor)
    return {
        "case": case, "period": period.label, "departments": len(payload.document["metrics"][
            next(iter(payload.document["metrics"]))]["departments"]),
        "pages": result.pages, "bytes": len(result.pdf), "read_s": read_s,
        "report_s": total_s, "report_cpu_s": total_cpu, "floor_s": floor_s,
        "floor_cpu_s": floor_cpu, "ratio": total_s / floor_s, "goal_s": GOALS[case],
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }  # fmt: skip


def main() -> None:
    """Run one case here, or each in its own process and print a table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--case", choices=sorted(GOALS))
    args = parser.parse_args()
    if args.case:
        print(json.dumps(measure(args.case)))
        return
    print(f"{'case':<14}{'pages':>6}{'report s':>10}{'cpu s':>8}{'floor s':>9}{'ratio':>7}"
          f"{'goal s':>8}{'peak MB':>9}")  # fmt: skip
    for case in GOALS:
        out = subprocess.run([sys.executable, "-m", "bench.bench_report", "--case", case],
                             capture_output=True, text=True, check=True)  # fmt: skip
        r = json.loads(out.stdout.strip().splitlines()[-1])
        line = f"{r['case']:<14}{r['pages']:>6}{r['report_s']:>10.1f}{r['report_cpu_s']:>8.1f}"
        print(
            line + f"{r['floor_s']:>9.1f}{r['ratio']:>7.2f}{r['goal_s']:>8.0f}{r['peak_mb']:>9.0f}"
        )


if __name__ == "__main__":
    main()
