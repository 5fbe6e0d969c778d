"""Two scheduler processes at quarter close, on one database (PostgreSQL in the suite's
PostgreSQL run): each closed quarter's final snapshot gets exactly one archived report."""

from __future__ import annotations

import subprocess
from typing import Any

from sqlalchemy import create_engine, text

from tests.integration.test_migrations import empty_database_url  # noqa: F401  (fixture)
from tests.integration.test_scheduler import FLASK, ROOT, _cli, _cli_env, demo_database  # noqa: F401


def _run_twice(url: str, job: str) -> list[str]:
    command = [*FLASK, "scheduler", "--run-now", job]
    processes = [
        subprocess.Popen(command, env=_cli_env(url), cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)  # noqa: S603
        for _ in range(2)
    ]  # fmt: skip
    outputs = [p.communicate(timeout=600) for p in processes]
    assert all(p.returncode == 0 for p in processes), outputs
    return sorted(out.strip() for out, _ in outputs)


def test_two_schedulers_at_quarter_close_archive_one_report(demo_database: str) -> None:  # noqa: F811
    engine = create_engine(demo_database)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE reporting_periods SET state = 'closed' WHERE label = 'FY2023-Q1'")
        )
    assert _run_twice(demo_database, "quarter-close-report") == [
        "quarter-close-report: 0 item(s)",
        "quarter-close-report: 1 item(s)",
    ]
    assert _run_twice(demo_database, "report-queue") == [
        "report-queue: 0 item(s)",
        "report-queue: 1 item(s)",
    ]
    with engine.connect() as conn:
        rows: list[Any] = conn.execute(text(
            "SELECT r.status, r.close_key, length(r.pdf), r.pages FROM quarterly_reports r "
            "JOIN reporting_periods p ON p.id = r.period_id WHERE p.label = 'FY2023-Q1'"
        )).all()  # fmt: skip
    engine.dispose()
    assert len(rows) == 1, rows
    status, key, size, pages = rows[0]
    assert status == "done" and key.startswith("quarter-close:") and size > 10_000 and pages > 5
