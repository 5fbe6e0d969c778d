"""Fixtures shared by every suite: the app (one per session), a rolled-back database per
test, a client, a login helper and factories (fixtures returning callables).

The database comes from CX_TEST_DATABASE_URL: a PostgreSQL server URL (a throwaway database
is created on it for the run and dropped after), or, when unset, a SQLite file in a
temporary folder.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from config import Config

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh, empty database for this test run."""
    server = os.environ.get("CX_TEST_DATABASE_URL", "")
    if not server:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    yield from _throwaway_postgres(server)


def _throwaway_postgres(server: str) -> Iterator[str]:
    name = f"cxtest_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_config(database_url: str, **extra: Any) -> Config:
    """The configuration tests use (CSRF stays on: tests prove it)."""
    return Config(
        secret_key="test-secret-key",  # noqa: S106
        database_url=database_url,
        environment="test",
        testing=True,
        login_max_failures=5,
        extra=extra,
    )


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[Flask]:
    """One application for the whole run; tables created once."""
    from cxprogram import create_app
    from cxprogram.extensions import db

    application = create_app(make_config(database_url))
    with application.app_context():
        db.create_all()
    yield application
    with application.app_context():
        db.engine.dispose()


class _TestSession(scoped_session[Session]):
    """One session for the whole test, shared by the test and every request it makes.

    Flask-SQLAlchemy removes the session when an app context ends; here that must not
    close it, or data the test flushed would vanish between requests.
    """

    def remove(self) -> None:
        """Keep the session open across requests; the fixture closes it."""


@pytest.fixture
def db_session(app: Flask) -> Iterator[scoped_session[Session]]:
    """Every test runs in one outer transaction that is rolled back at the end.

    No app context stays pushed during the test, so each request gets a fresh `g`
    (Flask-Login keeps the current user there).
    """
    from cxprogram.extensions import db

    with app.app_context():
        connection = db.engine.connect()
    outer = connection.begin()
    original = db.session
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    db.session = _TestSession(factory, scopefunc=lambda: "test")
    try:
        yield db.session
    finally:
        db.session.registry().close()
        db.session = original
        outer.rollback()
        connection.close()


@pytest.fixture
def client(app: Flask, db_session: scoped_session[Session]) -> FlaskClient:
    """A test client whose requests see the test's transaction."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask, db_session: scoped_session[Session]) -> Any:
    """A CLI runner bound to the app."""
    return app.test_cli_runner()


CSRF_RE = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/sign-in") -> str:
    """The CSRF token embedded in a page's form."""
    page = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


@pytest.fixture
def login(client: FlaskClient) -> Callable[..., Any]:
    """Sign a client in through the real form (with its CSRF token)."""

    def do_login(email: str, password: str = PASSWORD) -> Any:
        token = csrf_token(client)
        return client.post(
            "/sign-in", data={"email": email, "password": password, "csrf_token": token}
        )

    return do_login


@pytest.fixture
def make_department(db_session: scoped_session[Session]) -> Callable[..., Any]:
    """Factory: a department with a code and name."""
    from cxprogram.org.models import Department

    def make(code: str = "DMV", name: str | None = None, **kw: Any) -> Department:
        dept = Department(code=code, name=name or f"Department {code}", **kw)
        db_session.add(dept)
        db_session.flush()
        return dept

    return make


@pytest.fixture
def make_user(db_session: scoped_session[Session]) -> Callable[..., Any]:
    """Factory: a user of a role, optionally assigned to departments (by code)."""
    from cxprogram.auth import services
    from cxprogram.auth.models import Role

    def make(
        role: str = "officer", email: str | None = None, departments: tuple[str, ...] = ()
    ) -> Any:
        email = email or f"{role}-{uuid.uuid4().hex[:6]}@example.test"
        user = services.create_user(email, f"Test {role}", Role(role), PASSWORD, list(departments))
        db_session.flush()
        return user

    return make


@pytest.fixture
def make_settings(db_session: scoped_session[Session]) -> Callable[..., Any]:
    """Factory: the organization's settings row, given a name (created with defaults)."""
    from cxprogram.org import services

    def make(name: str = "Test org") -> Any:
        return services.ensure_settings(name)

    return make


@pytest.fixture
def make_metrics(db_session: scoped_session[Session]) -> Callable[..., dict[str, Any]]:
    """Factory: metrics of the standard catalog (every one, or those of the given codes, in
    catalog order) and the channel and journey-stage vocabularies; a dict by code."""
    from cxprogram.metrics import services
    from cxprogram.metrics.catalog import SERVICE_STANDARD_METRICS, STANDARD_METRICS

    def make(*codes: str) -> dict[str, Any]:
        catalog = STANDARD_METRICS + SERVICE_STANDARD_METRICS  # the latter only when named
        unknown = set(codes) - {spec.code for spec in catalog}
        assert not unknown, f"not in the standard catalog: {sorted(unknown)}"
        services.ensure_vocabularies()
        specs = [
            spec
            for spec in catalog
            if spec.code in codes or (not codes and spec in STANDARD_METRICS)
        ]
        return {spec.code: services.ensure_metric(spec)[0] for spec in specs}

    return make


@pytest.fixture
def make_metric(db_session: scoped_session[Session]) -> Callable[..., Any]:
    """Factory: a metric outside the catalog (operational, a count averaged, by default)."""
    from cxprogram.metrics.models import Aggregation, MetricDefinition, MetricKind, Unit

    def make(code: str, name: str | None = None, **kw: Any) -> MetricDefinition:
        fields: dict[str, Any] = {"kind": MetricKind.OPERATIONAL, "unit": Unit.COUNT,
                                  "aggregation": Aggregation.MEAN, **kw}  # fmt: skip
        metric = MetricDefinition(code=code, name=name or f"Metric {code}", **fields)
        db_session.add(metric)
        db_session.flush()
        return metric

    return make


@pytest.fixture
def make_period(db_session: scoped_session[Session]) -> Callable[..., Any]:
    """Factory: the reporting period of a label or fiscal quarter (created open when missing,
    dated for an October fiscal-year start unless told), closed on request."""
    from cxprogram.core.fiscal import FiscalQuarter, parse_period
    from cxprogram.metrics import services
    from cxprogram.metrics.models import PeriodState, ReportingPeriod

    def make(
        label: str | FiscalQuarter, *, closed: bool = False, start_month: int = 10
    ) -> ReportingPeriod:
        quarter = parse_period(label) if isinstance(label, str) else label
        period, _ = services.ensure_period(quarter, start_month)
        if closed:
            period.state = PeriodState.CLOSED
            db_session.flush()
        return period

    return make


@pytest.fixture
def make_observation(db_session: scoped_session[Session]) -> Callable[..., Any]:
    """Factory: one observation of a department, metric and period (other columns by keyword)."""
    from cxprogram.metrics.models import Observation

    def make(department: Any, metric: Any, period: Any, value: float, **kw: Any) -> Observation:
        obs = Observation(department=department, metric=metric, period=period, value=value, **kw)
        db_session.add(obs)
        db_session.flush()
        return obs

    return make
