"""Dashboard pages at the synthetic scale (200 departments x 40 quarters, the rollup
benchmark's organization), served by `gunicorn -w 2`, next to a floor measured in the same
run (GET of a static file, served by the same app).

Warm caches: at least 50 requests of each page from one client, then from 8 concurrent
clients; p50 and p95 in ms, errors counted. Cold: the first view of each page after a new
snapshot of the period was stored (its document read and expanded, its charts drawn).

    .venv/bin/python bench/bench_pages.py [--departments 200] [--quarters 40] [--requests 64]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import requests
from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import synthetic  # noqa: E402
from config import Config  # noqa: E402
from cxprogram import create_app  # noqa: E402
from cxprogram.auth import services as auth_services  # noqa: E402
from cxprogram.auth.models import Role  # noqa: E402
from cxprogram.extensions import db  # noqa: E402
from cxprogram.metrics.models import Observation, ReportingPeriod  # noqa: E402
from cxprogram.org.models import Department  # noqa: E402
from cxprogram.rollup.services import run_rollup  # noqa: E402

PASSWORD = "correct horse battery staple 42"  # noqa: S105 - a throwaway database
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CLIENTS = 8


def build(url: str, departments: int, quarters: int) -> str:
    """The synthetic organization, a chief, and the rollup of the last two periods; returns
    the last period's label."""
    app = create_app(Config(database_url=url, environment="test"))
    with app.app_context():
        db.create_all()
        synthetic.build(departments, quarters)
        auth_services.create_user("chief@example.test", "Chief", Role.CHIEF, PASSWORD, [])
        periods = list(
            db.session.scalars(select(ReportingPeriod).order_by(ReportingPeriod.end_date))
        )
        for period in periods[-2:]:
            run_rollup(period, datetime.now(UTC))
        db.session.commit()
        label = periods[-1].label
        db.engine.dispose()
    return label


def new_snapshot(url: str, label: str, department: str) -> None:
    """Change one observation of each metric of the drilled-down department in the period
    (so every chart of both pages has new data and is drawn again) and store the new
    snapshot."""
    app = create_app(Config(database_url=url, environment="test"))
    with app.app_context():
        period = db.session.scalars(
            select(ReportingPeriod).where(ReportingPeriod.label == label)
        ).one()
        dept = db.session.scalars(select(Department).where(Department.code == department)).one()
        seen: set[int] = set()
        for obs in db.session.scalars(
            select(Observation).where(
                Observation.period_id == period.id, Observation.department_id == dept.id
            )
        ):
            if obs.metric_id not in seen:
                seen.add(obs.metric_id)
                obs.value += 0.001
        db.session.flush()
        run_rollup(period, datetime.now(UTC))
        db.session.commit()
        db.engine.dispose()


def start_server(url: str, port: int) -> subprocess.Popen[bytes]:
    """gunicorn with 2 sync workers, answering once its sign-in page does."""
    env = {**os.environ, "DATABASE_URL": url, "CX_ENV": "development", "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "--timeout", "120",
         "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(100):
        try:
            requests.get(f"http://127.0.0.1:{port}/sign-in", timeout=10)
            return server
        except requests.RequestException:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("the server did not start")


def sign_in(base: str) -> requests.Session:
    """A session signed in through the form."""
    session = requests.Session()
    token = CSRF.search(session.get(f"{base}/sign-in").text)
    assert token, "no CSRF token on the sign-in page"
    data = {"email": "chief@example.test", "password": PASSWORD, "csrf_token": token.group(1)}
    session.post(f"{base}/sign-in", data=data).raise_for_status()
    return session


def timed_get(session: requests.Session, url: str) -> tuple[float, bool]:
    """Seconds for one GET and whether it answered 200."""
    start = time.perf_counter()
    response = session.get(url, timeout=120)
    return time.perf_counter() - start, response.status_code == 200


def run(sessions: list[requests.Session], url: str, count: int) -> tuple[list[float], int]:
    """count GETs of url spread over the sessions, each session one client thread."""
    per = -(-count // len(sessions))

    def client(session: requests.Session) -> list[tuple[float, bool]]:
        return [timed_get(session, url) for _ in range(per)]

    with ThreadPoolExecutor(len(sessions)) as pool:
        results = [r for chunk in pool.map(client, sessions) for r in chunk]
    return [t for t, _ in results], sum(not ok for _, ok in results)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (linear interpolation), in ms."""
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] * 1000


def main() -> None:
    """Build, serve, measure; print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--departments", type=int, default=200)
    parser.add_argument("--quarters", type=int, default=40)
    parser.add_argument("--requests", type=int, default=64)
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    url = f"sqlite:///{tempfile.mkdtemp(prefix='cxbench-pages-')}/pages.db"
    start = time.perf_counter()
    label = build(url, args.departments, args.quarters)
    print(f"built {args.departments} departments x {args.quarters} quarters, rolled up "
          f"in {time.perf_counter() - start:.0f} s")  # fmt: skip
    server = start_server(url, args.port)
    base = f"http://127.0.0.1:{args.port}"
    pages = {
        "floor (a static file)": f"{base}/static/app.css",
        "dashboard": f"{base}/dashboard?period={label}",
        "drill-down": f"{base}/dashboard/departments/D007?period={label}",
    }
    try:
        sessions = [sign_in(base) for _ in range(CLIENTS)]
        for page_url in pages.values():  # warm both workers' caches
            run(sessions[:4], page_url, 8)
        for name, page_url in pages.items():
            for clients in (1, CLIENTS):
                times, errors = run(sessions[:clients], page_url, args.requests)
                print(f"{name:<20} {clients} client{'s' if clients > 1 else ' '}: "
                      f"n={len(times)} p50 {percentile(times, 50):7.1f} ms  "
                      f"p95 {percentile(times, 95):7.1f} ms  errors {errors}")  # fmt: skip
        new_snapshot(url, label, "D007")
        for name in ("dashboard", "drill-down"):
            seconds, ok = timed_get(sessions[0], pages[name])
            print(f"cold first view of a new snapshot, {name}: {seconds * 1000:.0f} ms"
                  f"{'' if ok else ' (not 200!)'}")  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
