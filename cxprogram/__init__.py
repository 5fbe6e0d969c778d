"""cxprogram: a multi-department customer-experience program."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, has_request_context
from sqlalchemy import event
from sqlalchemy.engine import Engine

from config import INSTANCE_DIR, Config, from_env

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: Config | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, commands. No I/O."""
    config = config or from_env()
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        instance_path=str(INSTANCE_DIR),
    )
    app.config.from_mapping(config.flask_settings())
    _init_extensions(app)
    _register_blueprints(app)
    _register_commands(app)
    return app


def _init_extensions(app: Flask) -> None:
    from cxprogram import models  # noqa: F401  - complete metadata before migrate
    from cxprogram.auth import login
    from cxprogram.core import (
        errors,
        inputs,
        jsoncodec,
        permissions,
        requestlog,
        security,
        templating,
    )
    from cxprogram.extensions import csrf, db, migrate

    requestlog.init_app(app)
    inputs.init_app(app)  # first: the converter before any rule, NUL refused before CSRF
    engine_options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    engine_options.setdefault("json_serializer", jsoncodec.dumps)
    engine_options.setdefault("json_deserializer", jsoncodec.loads)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # an unreachable host answers 503 in seconds instead of hanging a worker (libpq waits)
        engine_options.setdefault("connect_args", {}).setdefault("connect_timeout", 5)
    db.init_app(app)
    with app.app_context():  # creates the engine object; connects nothing
        _sqlite_journal(db.engine, app.config["CX_SQLITE_JOURNAL_MODE"])
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login.init_app(app)
    permissions.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    templating.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from cxprogram.admin.views import bp as admin_bp
    from cxprogram.api.views import bp as api_bp
    from cxprogram.audit.views import bp as audit_bp
    from cxprogram.auth.views import bp as auth_bp
    from cxprogram.dashboard.views import bp as dashboard_bp
    from cxprogram.exports.views import bp as exports_bp
    from cxprogram.imports.views import bp as imports_bp
    from cxprogram.main.views import bp as main_bp
    from cxprogram.metrics.views import bp as metrics_bp
    from cxprogram.ops.views import bp as ops_bp
    from cxprogram.org.views import bp as org_bp
    from cxprogram.people.views import bp as people_bp
    from cxprogram.reports.views import bp as reports_bp
    from cxprogram.review.views import bp as review_bp
    from cxprogram.rollup.views import bp as rollup_bp
    from cxprogram.strategies.views import bp as strategies_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(main_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(metrics_bp)
    app.register_blueprint(org_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(imports_bp)
    app.register_blueprint(exports_bp)
    app.register_blueprint(strategies_bp)
    app.register_blueprint(review_bp)
    app.register_blueprint(people_bp)
    app.register_blueprint(ops_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(rollup_bp)


def _register_commands(app: Flask) -> None:
    from cxprogram.auth.cli import tokens_cli, users_cli
    from cxprogram.demo.cli import demo_command
    from cxprogram.imports.cli import import_cli
    from cxprogram.ops.cli import serve_command
    from cxprogram.reports.cli import report_command
    from cxprogram.rollup.cli import rollup_command, scheduler_command

    app.cli.add_command(users_cli)
    app.cli.add_command(tokens_cli)
    app.cli.add_command(import_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(rollup_command)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(serve_command)
    app.cli.add_command(report_command)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: object, connection_record: object) -> None:
    """SQLite: enforce foreign keys, let SQLAlchemy own transaction boundaries, and let a
    writer wait for the lock (a busy timeout)."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


def _sqlite_journal(engine: Engine, mode: str) -> None:
    """The app's SQLite connections use this journal (by default WAL: readers never block
    the writer, nor it them; an in-memory database keeps its own)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _journal(dbapi_connection: Any, connection_record: object) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA journal_mode={'WAL' if mode == 'wal' else 'DELETE'}")
        if mode == "wal":
            cursor.execute("PRAGMA synchronous=NORMAL")  # WAL's safe setting
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn: object) -> None:
    """Emit BEGIN ourselves on SQLite (pysqlite's own handling breaks SAVEPOINTs). A
    transaction that may write begins IMMEDIATE: it takes the write lock first, waiting up
    to the busy timeout, instead of reading and then failing at once to upgrade its lock
    ("database is locked"). Only page and API reads (safe methods) begin deferred. The
    execution option cx_read_only, when a connection is given it, decides instead (an
    export job's read: True; the job a GET download starts: False)."""
    from sqlalchemy.engine import Connection

    if isinstance(conn, Connection) and conn.dialect.name == "sqlite":
        reading = conn.get_execution_options().get("cx_read_only", _reading())
        conn.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


def _reading() -> bool:
    """Whether this transaction serves a request of a safe method (which must not write)."""
    from flask import request

    return has_request_context() and request.method in SAFE_METHODS
