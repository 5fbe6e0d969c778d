"""PostgreSQL stopped under a running `cxprogram serve`, then started again.

The cluster is a throwaway one (initdb and pg_ctl on a free loopback port), whatever
database the rest of the suite uses: stopping the suite's own server is not ours to do.
While it is down, pages answer 503 with Retry-After from a page that needs no database,
the API answers 503 in JSON, /healthz 200 and /readyz 503; once it is back, the same
server process answers again, without a restart."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from cxprogram.api.schemas import ErrorOut
from cxprogram.org.settings import DEFAULTS
from tests.conftest import PASSWORD
from tests.integration.liveserver import signed_in
from tests.integration.mailserver import free_port
from tests.integration.serveprocess import cli, serving

BINDIR = Path("/usr/lib/postgresql/15/bin")
EMAIL = "chief@example.test"


@dataclass
class Cluster:
    """A PostgreSQL cluster of our own: its URL, and pg_ctl to stop and start it."""

    directory: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def pg_ctl(self, *args: str) -> None:
        command = [str(BINDIR / "pg_ctl"), "-D", str(self.directory / "data"), "-w", *args]
        _as_postgres(command)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
        self.pg_ctl("-l", str(self.directory / "log"), "-o", options, "start")

    def stop(self) -> None:
        self.pg_ctl("-m", "fast", "stop")


def _as_postgres(command: list[str]) -> None:
    """Run a PostgreSQL binary, as the postgres user when we are root (initdb refuses root)."""
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, capture_output=True, timeout=120)


@contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    directory = Path(tempfile.mkdtemp(prefix="cx-pgdown-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres")
    cluster = Cluster(directory, free_port())
    try:
        _as_postgres([str(BINDIR / "initdb"), "-D", str(directory / "data"), "-A", "trust",
                      "-U", "postgres"])  # fmt: skip
        cluster.start()
        yield cluster
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    with throwaway_cluster() as running:
        cli(running.url, "db", "upgrade")
        cli(running.url, "users", "create", "--email", EMAIL, "--name", "Chief",
            "--role", "chief", "--password-stdin", stdin=PASSWORD)  # fmt: skip
        yield running


def _api(base: str, token: str) -> requests.Response:
    return requests.get(
        f"{base}/api/v1/departments", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def _assert_unavailable_page(response: requests.Response) -> None:
    assert response.status_code == 503, response.text[:500]
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Service unavailable" in response.text
    assert "The database is not answering" in response.text
    assert "Traceback" not in response.text
    # The page asks the database nothing: the default organization, so no government banner.
    assert f"{DEFAULTS.name}</span>" in response.text and "usa-banner" not in response.text


def _make_government(url: str) -> None:
    """Store settings that show the banner, so that its absence while down is the defaults'."""
    engine = create_engine(url)
    government = "is_government = true, government_name = 'the City of Stopped'"
    with engine.begin() as conn:
        if conn.execute(text(f"UPDATE org_settings SET {government}")).rowcount == 0:
            conn.execute(text(
                "INSERT INTO org_settings (name, fiscal_year_start_month, due_days, grace_days,"
                " reminder_days_before, time_zone, smtp_sender_name, is_government,"
                " government_name, version) VALUES ('City of Stopped', 10, 30, 5, 7, 'UTC',"
                " 'cx', true, 'the City of Stopped', 1)"
            ))  # fmt: skip
    engine.dispose()


def test_postgres_stopped_then_restarted(cluster: Cluster) -> None:
    token = cli(cluster.url, "tokens", "create", "--email", EMAIL).strip()
    _make_government(cluster.url)
    with serving(cluster.url, WEB_CONCURRENCY="2", WEB_THREADS="2") as server:
        browser = signed_in(server.url, EMAIL)
        home = browser.get(f"{server.url}/", timeout=30)
        assert home.status_code == 200
        assert "An official website of the City of Stopped" in home.text
        assert _api(server.url, token).status_code == 200
        assert requests.get(f"{server.url}/readyz", timeout=30).status_code == 200

        cluster.stop()
        for _ in range(3):  # every worker, with its pool of now dead connections
            _assert_unavailable_page(requests.get(f"{server.url}/sign-in", timeout=30))
            _assert_unavailable_page(browser.get(f"{server.url}/", timeout=30))
            api = _api(server.url, token)
            assert api.status_code == 503
            assert int(api.headers["Retry-After"]) > 0
            assert ErrorOut.model_validate(api.json()).status == 503
        assert requests.get(f"{server.url}/healthz", timeout=30).status_code == 200
        ready = requests.get(f"{server.url}/readyz", timeout=30)
        assert ready.status_code == 503
        assert ready.json()["reason"] == "database unreachable"
        assert "Retry-After" in ready.headers

        cluster.start()
        for _ in range(4):  # the same process, every worker, answers again
            assert requests.get(f"{server.url}/sign-in", timeout=30).status_code == 200
            assert browser.get(f"{server.url}/", timeout=30).status_code == 200
            assert _api(server.url, token).status_code == 200
        assert requests.get(f"{server.url}/readyz", timeout=30).json()["status"] == "ready"
        assert server.process.poll() is None
        assert server.stop() == 0
        assert "database unavailable" in server.stderr
        assert "Traceback" not in server.stderr  # answered, not crashed
