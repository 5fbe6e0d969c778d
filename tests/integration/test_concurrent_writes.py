"""Concurrent writers against a real server process (issue 17, items 1 and 2): eight clients
writing the same rows through the API and the grid for a bounded time get no 5xx, lose
nothing, and each row's version equals its acknowledged writes; eight clients adding the same
new rows at once store each row once."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import func, select

from tests.integration.liveserver import Live, live_server, percentile, signed_in

PERIOD = "FY2024-Q1"
GRID = f"/departments/DMV/periods/{PERIOD}/entry"
METRICS = ("satisfaction", "trust", "ease")
SECONDS = 12.0


def _seed(live: Live, rows: bool) -> dict[str, int]:
    """Settings, the catalog, DMV, an open period, officers with tokens; the observations."""
    from cxprogram.auth import services as auth_services
    from cxprogram.auth.models import Role
    from cxprogram.auth.tokens import create_token
    from cxprogram.core.fiscal import FiscalQuarter
    from cxprogram.extensions import db
    from cxprogram.metrics import services as metric_services
    from cxprogram.metrics.models import Observation
    from cxprogram.org.models import Department
    from cxprogram.org.services import ensure_settings

    with live.app.app_context():
        ensure_settings("Test org")
        metric_services.ensure_vocabularies()
        metrics = {m.code: m for m in metric_services.ensure_standard_metrics()}
        dmv = Department(code="DMV", name="Motor vehicles")
        db.session.add(dmv)
        period, _ = metric_services.ensure_period(FiscalQuarter(2024, 1), 10)
        for i in range(8):
            user = auth_services.create_user(
                f"officer{i}@example.test", f"Officer {i}", Role.OFFICER, _password(), ["DMV"]
            )
            db.session.flush()
            live.tokens[user.email] = create_token(user)
        ids = {}
        if rows:
            for code in METRICS:
                obs = Observation(department=dmv, metric=metrics[code], period=period, value=3.0)
                db.session.add(obs)
                db.session.flush()
                ids[code] = obs.id
        db.session.commit()
    return ids


def _password() -> str:
    from tests.conftest import PASSWORD

    return PASSWORD


class _Tally:
    """Acknowledged writes per metric, every status seen, and each request's latency."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.acked: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.latencies: list[float] = []
        self.errors: list[str] = []

    def run(self, target: Any, *args: Any) -> threading.Thread:
        """A client thread whose failure (a refused sign-in, say) is recorded."""

        def body() -> None:
            try:
                target(*args)
            except Exception as error:  # noqa: BLE001 - reported by the test
                with self.lock:
                    self.errors.append(repr(error))

        return threading.Thread(target=body)

    def note(self, status: int, started: float, acked: dict[str, int]) -> None:
        with self.lock:
            self.statuses[status] += 1
            self.latencies.append(time.perf_counter() - started)
            self.acked.update(acked)


def _api_client(live: Live, number: int, until: float, tally: _Tally) -> None:
    """Write one metric at a time through the API, a new value each time."""
    http = requests.Session()
    headers = {"Authorization": f"Bearer {live.tokens[f'officer{number}@example.test']}"}
    step = 0
    while time.monotonic() < until:
        step += 1
        code = METRICS[step % len(METRICS)]
        value = _unique_value(number, step)
        item = {"department": "DMV", "metric": code, "period": PERIOD, "value": value}
        started = time.perf_counter()
        response = http.post(f"{live.url}/api/v1/observations", json=[item], headers=headers)
        counts = response.json() if response.status_code == 201 else {}
        acked = counts.get("added", 0) + counts.get("changed", 0)
        tally.note(response.status_code, started, {code: acked} if acked else {})
        time.sleep(0.02)  # a client's think time, so the grid's savers get their turns too


def _grid_client(live: Live, number: int, ids: dict[str, int], until: float, tally: _Tally) -> None:
    """Open the grid, save every row at the versions shown; 409 means someone saved first."""
    browser = signed_in(live.url, f"officer{number}@example.test")
    step = 0
    while time.monotonic() < until:
        step += 1
        started = time.perf_counter()
        page = browser.get(f"{live.url}{GRID}")
        tally.note(page.status_code, started, {})
        code = METRICS[step % len(METRICS)]
        key = f"o{ids[code]}"
        version = re.search(rf'name="{key}-version" value="(\d+)"', page.text)
        csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
        assert version and csrf, page.text[:500]
        value = _unique_value(number, step)
        data = {"csrf_token": csrf.group(1), "row": [key], f"{key}-value": f"{value}",
                f"{key}-n": "", f"{key}-note": f"save {step}",
                f"{key}-version": version.group(1)}  # fmt: skip
        started = time.perf_counter()
        saved = browser.post(f"{live.url}{GRID}", data=data, allow_redirects=False)
        assert saved.status_code in (302, 409), saved.text[:2000]  # never a refused form
        tally.note(saved.status_code, started, {code: 1} if saved.status_code == 302 else {})


def _versions(live: Live) -> dict[str, int]:
    from cxprogram.extensions import db
    from cxprogram.metrics.models import MetricDefinition, Observation

    with live.app.app_context():
        query = select(MetricDefinition.code, Observation.version).join(Observation.metric)
        found = dict(db.session.execute(query).tuples().all())
        db.session.remove()
    return found


def test_eight_clients_writing_the_same_rows_lose_nothing_and_get_no_5xx(
    tmp_path: Path,
) -> None:
    with live_server(tmp_path) as live:
        ids = _seed(live, rows=True)
        tally, until = _Tally(), time.monotonic() + SECONDS
        threads = [tally.run(_api_client, live, i, until, tally) for i in range(4)] + [
            tally.run(_grid_client, live, i, ids, until, tally) for i in range(4, 8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        versions = _versions(live)
    print(f"\n{sum(tally.statuses.values())} requests {dict(tally.statuses)}; latency p50 "
          f"{percentile(tally.latencies, 0.5) * 1000:.0f} ms, p95 "
          f"{percentile(tally.latencies, 0.95) * 1000:.0f} ms")  # fmt: skip
    assert not tally.errors, tally.errors
    assert not [s for s in tally.statuses if s >= 500], tally.statuses
    assert set(tally.statuses) <= {200, 201, 302, 409}, tally.statuses
    assert tally.statuses[201] > 20 and tally.statuses[302] >= 3, tally.statuses
    assert versions == {code: 1 + tally.acked[code] for code in METRICS}, tally.acked


def _unique_value(number: int, step: int) -> float:
    """A value no other write of the run sends (so every acknowledged write changes it)."""
    return 1 + (step * 8 + number) % 3000 / 1000


def test_eight_clients_adding_the_same_new_rows_store_each_once(tmp_path: Path) -> None:
    """Department-level rows (no service, no channel) posted at once by eight clients."""
    with live_server(tmp_path) as live:
        _seed(live, rows=False)
        items = [{"department": "DMV", "metric": code, "period": PERIOD, "value": 3.5}
                 for code in _metric_codes(live, 10)]  # fmt: skip
        tally, start = _Tally(), threading.Barrier(8)

        def add(number: int) -> None:
            headers = {"Authorization": f"Bearer {live.tokens[f'officer{number}@example.test']}"}
            start.wait()
            started = time.perf_counter()
            response = requests.post(
                f"{live.url}/api/v1/observations", json=items, headers=headers, timeout=60
            )
            added = response.json().get("added", 0) if response.status_code == 201 else 0
            tally.note(response.status_code, started, {"added": added})

        threads = [tally.run(add, i) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stored = _observation_count(live)
    assert not tally.errors, tally.errors
    assert set(tally.statuses) <= {201, 409}, tally.statuses
    assert stored == 10 and tally.acked["added"] == 10, (stored, tally.acked, tally.statuses)


def _metric_codes(live: Live, count: int) -> list[str]:
    from cxprogram.extensions import db
    from cxprogram.metrics.models import MetricDefinition as M

    with live.app.app_context():
        query = select(M.code).where(
            M.scale_min.is_(None) | (M.scale_min <= 3.5),
            M.scale_max.is_(None) | (M.scale_max >= 3.5),
        )
        codes = list(db.session.scalars(query.order_by(M.id).limit(count)))
        db.session.remove()
    assert len(codes) == count
    return codes


def _observation_count(live: Live) -> int:
    from cxprogram.extensions import db
    from cxprogram.metrics.models import Observation

    with live.app.app_context():
        count = db.session.scalar(select(func.count(Observation.id)))
        db.session.remove()
    return int(count or 0)


def test_sqlite_connections_use_wal_and_a_busy_timeout_unless_told(tmp_path: Path) -> None:
    """The embedded database's own file, whichever database the run tests."""
    from sqlalchemy import text

    from cxprogram import create_app
    from cxprogram.extensions import db
    from tests.conftest import make_config

    for mode, expected in (("wal", "wal"), ("delete", "delete")):
        url = f"sqlite:///{tmp_path / f'{mode}.db'}"
        app = create_app(replace(make_config(url), sqlite_journal_mode=mode))
        with app.app_context():
            with db.engine.connect() as conn:
                assert conn.execute(text("PRAGMA journal_mode")).scalar() == expected
                assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 10000
            db.engine.dispose()
