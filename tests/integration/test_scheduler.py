"""The scheduler: stable job ids; two scheduler processes against one database store each
snapshot once; a rollup killed part-way leaves the previous snapshot. Reminders by mail are
in test_reminders.py."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock
from sqlalchemy import create_engine, make_url, select, text

from config import ConfigError, from_env
from cxprogram.core.locks import lock_file, lock_key
from cxprogram.metrics.models import ReportingPeriod
from cxprogram.rollup.models import RollupSnapshot
from cxprogram.rollup.scheduler import JOBS, build_scheduler
from cxprogram.rollup.services import ROLLUP_LOCK
from tests.integration.test_migrations import empty_database_url  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[2]
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]  # the cxprogram command line


def test_jobs_have_stable_ids_and_are_registered_once(app: Any) -> None:
    scheduler = build_scheduler(app)
    ids = [job.id for job in scheduler.get_jobs()]
    assert ids == [spec.id for spec in JOBS] == [
        "nightly-rollup", "quarter-close", "reminders", "refresh-rollups", "quarter-close-report",
        "report-queue",
    ]  # fmt: skip
    refresh = scheduler.get_job("refresh-rollups")
    assert refresh.trigger.interval.total_seconds() == 5 * 60  # ROLLUP_REFRESH_MINUTES


def test_refresh_every_configured_minutes_or_not_at_all(app: Any, monkeypatch: Any) -> None:
    monkeypatch.setitem(app.config, "CX_ROLLUP_REFRESH_MINUTES", 2)
    assert build_scheduler(app).get_job("refresh-rollups").trigger.interval.total_seconds() == 120
    monkeypatch.setitem(app.config, "CX_ROLLUP_REFRESH_MINUTES", 0)
    assert build_scheduler(app).get_job("refresh-rollups") is None
    assert from_env({"ROLLUP_REFRESH_MINUTES": "15"}).rollup_refresh_minutes == 15
    assert from_env({}).rollup_refresh_minutes == 5
    for bad in ("-1", "five", "1441"):
        with pytest.raises(ConfigError, match="ROLLUP_REFRESH_MINUTES"):
            from_env({"ROLLUP_REFRESH_MINUTES": bad})


def _cli_env(url: str) -> dict[str, str]:
    # SQLite in its rollback journal: a reader can stall a writer's commit there (not in WAL),
    # which is how these tests catch a run part-way
    return {**os.environ, "CX_ENV": "development", "DATABASE_URL": url,
            "SQLITE_JOURNAL_MODE": "delete"}  # fmt: skip


def _cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = [*FLASK, *args]
    return subprocess.run(
        command, env=_cli_env(url), cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def _snapshot_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT p.label, count(s.id) FROM reporting_periods p "
                "LEFT JOIN rollup_snapshots s ON s.period_id = p.id GROUP BY p.label"
            )
        ).all()
    engine.dispose()
    return {str(label): int(count) for label, count in rows}  # noqa: C416


@pytest.fixture
def demo_database(empty_database_url: str) -> str:  # noqa: F811
    for args in (("db", "upgrade"), ("demo",)):
        result = _cli(empty_database_url, *args)
        assert result.returncode == 0, result.stderr
    return empty_database_url


def test_two_scheduler_processes_store_each_snapshot_once(demo_database: str) -> None:
    """Both processes start while the rollup lock is held, so both reach it and wait (seen
    in pg_locks on PostgreSQL); released, one computes every snapshot and the other, after
    it, finds nothing new."""
    command = [*FLASK, "scheduler", "--run-now", "nightly-rollup"]
    env = {**_cli_env(demo_database), "PGAPPNAME": WATCHED}
    with _rollup_lock_held(demo_database, waiters=2) as both_waiting:
        first, second = (
            subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)  # noqa: S603
            for _ in range(2)
        )  # fmt: skip
        _wait_until(both_waiting, first)
        assert second.poll() is None
    outputs = [p.communicate(timeout=300) for p in (first, second)]
    assert first.returncode == second.returncode == 0, outputs
    counts = _snapshot_counts(demo_database)
    assert len(counts) == 9 and set(counts.values()) == {1}, counts
    done = sorted(int(out.decode().split(": ")[1].split()[0]) for out, _ in outputs)
    assert done == [0, 9]  # one process did all the work, the other found nothing new


def test_refresh_job_in_the_scheduler_process_rolls_up_only_what_changed(
    demo_database: str,
) -> None:
    """`cxprogram scheduler --run-now refresh-rollups`: every open period the first time
    (none has a snapshot), nothing the second; after the nightly job, nothing either."""
    jobs = ("refresh-rollups", "refresh-rollups", "nightly-rollup", "refresh-rollups")
    runs = [_cli(demo_database, "scheduler", "--run-now", job) for job in jobs]
    assert all(r.returncode == 0 for r in runs), [r.stderr for r in runs]
    assert [r.stdout.strip() for r in runs] == [
        "refresh-rollups: 9 item(s)", "refresh-rollups: 0 item(s)",
        "nightly-rollup: 0 item(s)", "refresh-rollups: 0 item(s)",
    ]  # fmt: skip
    assert set(_snapshot_counts(demo_database).values()) == {1}


WATCHED = "cx-watched"  # application_name of the processes a test watches (PostgreSQL)
PG_STALLED = """
SELECT count(*) FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid
WHERE a.application_name = :app AND a.wait_event_type = 'Lock' AND l.granted
  AND l.relation = 'rollup_snapshots'::regclass AND l.mode = 'RowExclusiveLock'
"""


@contextmanager
def _stalled_rollup(url: str) -> Iterator[Callable[[], bool]]:
    """Hold the database so that a rollup run stalls part-way, after it has written; yield a
    check that says whether a run is stalled there now.

    PostgreSQL: the last period's cached aggregates row is locked, so the run blocks before
    that period's snapshot, with the earlier periods' snapshots written but not committed.
    SQLite: a read transaction stays open, so the run cannot commit; it is part-way once it
    has written, which its rollback journal shows."""
    if url.startswith("sqlite"):  # a plain reader (the app's connections begin IMMEDIATE)
        reader = sqlite3.connect(str(make_url(url).database), isolation_level=None)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM rollup_snapshots").fetchone()
        yield Path(f"{make_url(url).database}-journal").exists
        reader.execute("ROLLBACK")
        reader.close()
        return
    engine = create_engine(url)
    with engine.connect() as holder:
        locked = holder.execute(
            text(
                "SELECT a.period_id FROM rollup_period_aggregates a JOIN reporting_periods p"
                " ON p.id = a.period_id WHERE p.label = 'FY2023-Q1' FOR UPDATE OF a"
            )
        ).all()
        assert len(locked) == 1
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as poll:
            yield lambda: bool(poll.execute(text(PG_STALLED), {"app": WATCHED}).scalar())
        holder.rollback()
    engine.dispose()


def _wait_until(condition: Callable[[], bool], process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while not condition():
        assert process.poll() is None, "the rollup ended before the point the test waits for"
        assert time.monotonic() < deadline, "the rollup never reached the point the test waits for"
        time.sleep(0.02)


def _snapshot_results(url: str) -> dict[str, Any]:
    """The stored result of every snapshot, by period label and version."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(ReportingPeriod.label, RollupSnapshot.version, RollupSnapshot.result).join(
                ReportingPeriod, ReportingPeriod.id == RollupSnapshot.period_id
            )
        ).all()
    engine.dispose()
    return {f"{label} v{version}": result for label, version, result in rows}


def test_killed_rollup_leaves_the_previous_snapshot_and_the_next_run_completes(
    demo_database: str,
) -> None:
    assert _cli(demo_database, "rollup", "--period", "FY2023-Q1").returncode == 0
    before = _snapshot_results(demo_database)
    assert list(before) == ["FY2023-Q1 v1"]
    engine = create_engine(demo_database)
    with engine.begin() as conn:
        conn.execute(text("UPDATE observations SET value = value - 0.1 WHERE id % 7 = 0"))
    engine.dispose()
    command = [*FLASK, "rollup", "--all"]
    env = {**_cli_env(demo_database), "PGAPPNAME": WATCHED}
    with _stalled_rollup(demo_database) as stalled:
        victim = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)  # noqa: S603
        _wait_until(stalled, victim)  # part-way: snapshots written, not committed
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
    assert victim.returncode == -signal.SIGKILL
    assert _snapshot_results(demo_database) == before  # the previous one, readable, alone
    result = _cli(demo_database, "rollup", "--all")
    assert result.returncode == 0, result.stderr
    counts = _snapshot_counts(demo_database)
    assert len(counts) == 9 and counts["FY2023-Q1"] == 2, counts
    assert set(counts.values()) == {1, 2}


PG_WAITING = """
SELECT count(*) FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid
WHERE a.application_name = :app AND l.locktype = 'advisory' AND NOT l.granted
"""


@contextmanager
def _rollup_lock_held(url: str, waiters: int = 1) -> Iterator[Callable[[], bool]]:
    """Hold the lock the rollup jobs take, as a scheduler's rollup job would; yield a check
    that says whether `waiters` other processes are waiting for it."""
    if url.startswith("sqlite"):
        lock = FileLock(str(lock_file(make_url(url).database, ROLLUP_LOCK)))
        with lock:
            started = time.monotonic()
            # a file lock shows no waiters: give the command time to start and reach it
            yield lambda: time.monotonic() - started > 6
        return
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": lock_key(ROLLUP_LOCK)})
        yield lambda: conn.execute(text(PG_WAITING), {"app": WATCHED}).scalar_one() >= waiters
        conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": lock_key(ROLLUP_LOCK)})
    engine.dispose()


def test_the_rollup_command_waits_for_a_running_rollup_job(demo_database: str) -> None:
    command = [*FLASK, "rollup", "--all"]
    env = {**_cli_env(demo_database), "PGAPPNAME": WATCHED}
    with _rollup_lock_held(demo_database) as waiting:
        waiter = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE)  # noqa: S603
        _wait_until(waiting, waiter)
        assert waiter.poll() is None and set(_snapshot_counts(demo_database).values()) == {0}
    out, _ = waiter.communicate(timeout=120)
    assert waiter.returncode == 0
    assert out.decode().count("(new)") == 9
    assert set(_snapshot_counts(demo_database).values()) == {1}


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_the_scheduler_process_runs_until_stopped(demo_database: str, stop: int) -> None:
    """`cxprogram scheduler` schedules its three jobs, keeps running, and stops cleanly on
    SIGTERM (service managers) or SIGINT (Ctrl-C)."""
    command = [*FLASK, "scheduler"]
    process = subprocess.Popen(
        command, env=_cli_env(demo_database), cwd=ROOT, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip  # noqa: S603
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line.strip())
        if line.startswith("scheduler running"):
            break
    assert {line.split(":")[0] for line in lines if line.startswith("scheduled ")} == {
        f"scheduled {spec.id}" for spec in JOBS
    }
    time.sleep(1)
    assert process.poll() is None  # it keeps running: jobs wait for their hour
    process.send_signal(stop)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "scheduler stopped" in out
    assert "apscheduler.scheduler: Scheduler started" in err  # INFO logs reach stderr


def test_run_now_logs_the_job_once(demo_database: str) -> None:
    result = _cli(demo_database, "scheduler", "--run-now", "nightly-rollup")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "nightly-rollup: 9 item(s)"
    assert result.stderr.count("job nightly-rollup: 9 item(s)") == 1  # not twice (Flask's own)
