"""The import bomb against a real server (issue 16, item 2): how long the refusal takes, how
big its page is, how much the server grows, and how fast another user's pages answer
meanwhile.

gunicorn (2 sync workers, as production runs them, only fewer) serves a fresh SQLite
database; a chief uploads the bomb (bench/bomb.py: a small .xlsx of 300,000 rows) while a
viewer asks for the home page every 50 ms. The workers' resident memory is sampled every
20 ms.

    .venv/bin/python bench/bench_bomb.py [--rows 300000] [--port 8765]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bomb import xlsx_bomb  # noqa: E402
from config import Config  # noqa: E402
from cxprogram import create_app  # noqa: E402
from cxprogram.auth import services as auth_services  # noqa: E402
from cxprogram.auth.models import Role  # noqa: E402
from cxprogram.extensions import db  # noqa: E402
from cxprogram.metrics import services as metric_services  # noqa: E402
from cxprogram.org import services as org_services  # noqa: E402

PASSWORD = "correct horse battery staple 42"  # noqa: S105 - a throwaway database
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def build(url: str) -> None:
    """The organization, a chief and a viewer."""
    app = create_app(Config(database_url=url, environment="test"))
    with app.app_context():
        db.create_all()
        org_services.ensure_settings("Bomb benchmark")
        metric_services.ensure_vocabularies()
        metric_services.ensure_standard_metrics()
        for role in ("chief", "viewer"):
            auth_services.create_user(f"{role}@example.test", role, Role(role), PASSWORD, [])
        db.session.commit()


def start_server(url: str, port: int) -> subprocess.Popen[bytes]:
    """gunicorn with 2 sync workers, answering once its home page does."""
    env = {**os.environ, "DATABASE_URL": url, "CX_ENV": "development", "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"],
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


def sign_in(base: str, email: str) -> requests.Session:
    """A session signed in through the form."""
    session = requests.Session()
    token = CSRF.search(session.get(f"{base}/sign-in").text)
    assert token, "no CSRF token on the sign-in page"
    data = {"email": email, "password": PASSWORD, "csrf_token": token.group(1)}
    session.post(f"{base}/sign-in", data=data).raise_for_status()
    return session


def workers_rss(server: subprocess.Popen[bytes]) -> dict[int, int]:
    """Resident memory of each worker (children of the gunicorn master), in bytes."""
    found = {}
    for pid in Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split():
        status = Path(f"/proc/{pid}/status").read_text()
        found[int(pid)] = int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) * 1024  # type: ignore[union-attr]
    return found


class Sampler(threading.Thread):
    """Samples something every `every` seconds until stopped."""

    def __init__(self, every: float, sample: object) -> None:
        super().__init__(daemon=True)
        self.every, self.sample, self.values = every, sample, []  # type: ignore[var-annotated]
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            self.values.append(self.sample())  # type: ignore[operator]
            time.sleep(self.every)


def main() -> None:
    """Build, serve, upload the bomb with a viewer browsing meanwhile; print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    url = f"sqlite:///{tempfile.mkdtemp(prefix='cxbench-bomb-')}/bomb.db"
    bomb = xlsx_bomb(args.rows)
    build(url)
    server = start_server(url, args.port)
    time.sleep(2)  # both workers booted
    base = f"http://127.0.0.1:{args.port}"
    try:
        chief, viewer = sign_in(base, "chief@example.test"), sign_in(base, "viewer@example.test")
        for _ in range(3):  # warm both workers
            viewer.get(f"{base}/").raise_for_status()
        before = workers_rss(server)
        memory = Sampler(0.02, lambda: workers_rss(server))
        pages = Sampler(0.05, lambda: _timed(viewer, f"{base}/"))
        token = CSRF.search(chief.get(f"{base}/imports/observations").text)
        assert token, "no CSRF token on the upload page"
        memory.start(), pages.start()
        time.sleep(0.3)
        start = time.perf_counter()
        response = chief.post(f"{base}/imports/observations", data={"csrf_token": token.group(1)},
                              files={"file": ("bomb.xlsx", bomb)})  # fmt: skip
        elapsed = time.perf_counter() - start
        time.sleep(0.5)
        memory.stopped.set(), pages.stopped.set()
        memory.join(), pages.join()
    finally:
        server.terminate()
        server.wait()
    growth = max(max(s.get(pid, 0) for s in memory.values) - rss for pid, rss in before.items())
    times = [t for t in pages.values if t is not None]
    print(f"bomb: {args.rows:,} rows, {len(bomb) / 1024:.0f} KB; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")  # fmt: skip
    print(f"refusal: HTTP {response.status_code} in {elapsed:.2f} s, page "
          f"{len(response.content) / 1024:.0f} KB")  # fmt: skip
    print(f"  {_message(response.text)}")
    print(f"server: workers {', '.join(f'{v / 2**20:.0f}' for v in before.values())} MB before,"
          f" the bomb's worker grew {growth / 2**20:.0f} MB at its peak")  # fmt: skip
    print(f"another user's home page meanwhile: {len(times)} requests, median "
          f"{statistics.median(times):.3f} s, slowest {max(times):.3f} s")  # fmt: skip


def _timed(session: requests.Session, url: str) -> float | None:
    start = time.perf_counter()
    ok = session.get(url, timeout=120).status_code == 200
    return time.perf_counter() - start if ok else None


def _message(page: str) -> str:
    """The page's error heading and its first error."""
    heading = re.search(r'class="usa-alert__heading">([^<]*)<', page)
    first = re.search(r"<tbody>\s*<tr><th[^>]*>([^<]*)</th><td>([^<]*)</td><td>([^<]*)</td>", page)
    return " / ".join(x for x in (heading and heading.group(1), first and ", ".join(first.groups()))
                      if x)  # fmt: skip


if __name__ == "__main__":
    main()
