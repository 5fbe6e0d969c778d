"""Configuration: the only module that reads the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"
LOCAL_BASE_URL = "http://127.0.0.1:5000"  # where scripts/run serves in development
L = TypeVar("L", "ImportLimits", "ExportLimits")


def _default_database_url() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'cxprogram.db'}"


@dataclass(frozen=True)
class ImportLimits:
    """What an uploaded file may hold, checked before any row is planned. Each refusal names
    the environment variable that sets the limit (the names below, upper case)."""

    max_upload_bytes: int = 20 * 1024 * 1024
    import_max_unzipped_bytes: int = 100 * 1024 * 1024  # an .xlsx's parts, uncompressed
    import_max_rows: int = 100_000  # data rows, the header not counted
    import_max_columns: int = 50
    import_max_cell_chars: int = 32_767  # Excel's own limit for a cell


@dataclass(frozen=True)
class ExportLimits:
    """When a download runs as a job instead of answering at once (names: EXPORT_ + upper
    case). A direct download must end well inside the server's worker timeout (30 s), also
    on a busy server: above these row counts, about a third of the timeout at the rates
    measured on a loaded 2-core machine, the file is made in the background and the
    request answers 202 with the page to poll."""

    job_rows_csv: int = 500_000  # CSV streams at about 45,000 rows/s there
    job_rows_xlsx: int = 200_000  # XLSX at about 25,000 rows/s there
    job_keep_hours: int = 24  # a job and its file are deleted after this
    job_threads: int = 2  # export jobs running at once in one server process


@dataclass(frozen=True)
class Config:
    """Settings handed to create_app; built from the environment by from_env()."""

    secret_key: str = "dev-only-not-secret"  # noqa: S105 - replaced outside development
    database_url: str = field(default_factory=_default_database_url)
    environment: str = "development"
    session_cookie_secure: bool = False
    login_max_failures: int = 5  # failed sign-ins on one account from one client address
    login_max_failures_per_address: int = 20  # from one client address, across accounts
    login_window_seconds: int = 900
    trusted_proxy_count: int = 0  # proxies whose X-Forwarded-For is believed (ProxyFix)
    base_url: str = LOCAL_BASE_URL  # the only origin of links in e-mails
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_sender: str = "cxprogram@localhost"
    smtp_security: str = "none"  # none, starttls or ssl
    smtp_username: str = ""
    smtp_password: str = ""
    import_limits: ImportLimits = field(default_factory=ImportLimits)
    export_limits: ExportLimits = field(default_factory=ExportLimits)
    export_dir: Path = INSTANCE_DIR / "exports"  # export jobs' files; shared by the workers
    # SQLite's journal: WAL lets readers run beside the writer; "delete" (the rollback journal)
    # is for file systems WAL cannot use (network shares)
    sqlite_journal_mode: str = "wal"
    rollup_refresh_minutes: int = 5  # the scheduler's refresh of changed open periods; 0: off
    report_queue_minutes: int = 1  # how often the scheduler renders queued reports; 0: off
    report_timeout_seconds: int = 600  # a report's render is killed (and failed) after this
    report_memory_mb: int = 2048  # the render process's address-space limit
    testing: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        """Anything but development and tests runs behind HTTPS with secure cookies and HSTS."""
        return self.environment not in ("development", "test")

    def flask_settings(self) -> dict[str, Any]:
        """Flask's own configuration keys derived from this object."""
        return {
            "SECRET_KEY": self.secret_key,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.session_cookie_secure,
            "REMEMBER_COOKIE_HTTPONLY": True,
            "REMEMBER_COOKIE_SAMESITE": "Lax",
            "REMEMBER_COOKIE_SECURE": self.session_cookie_secure,
            "MAX_CONTENT_LENGTH": self.import_limits.max_upload_bytes,
            "CX_IMPORT_LIMITS": self.import_limits,
            "CX_EXPORT_LIMITS": self.export_limits,
            "CX_EXPORT_DIR": str(self.export_dir),
            "TESTING": self.testing,
            "WTF_CSRF_TIME_LIMIT": None,
            "CX_ENVIRONMENT": self.environment,
            "CX_LOGIN_MAX_FAILURES": self.login_max_failures,
            "CX_LOGIN_MAX_FAILURES_PER_ADDRESS": self.login_max_failures_per_address,
            "CX_LOGIN_WINDOW_SECONDS": self.login_window_seconds,
            "CX_TRUSTED_PROXY_COUNT": self.trusted_proxy_count,
            "CX_BASE_URL": self.base_url,
            "CX_HSTS": self.is_production,
            "CX_SMTP_HOST": self.smtp_host,
            "CX_SMTP_PORT": self.smtp_port,
            "CX_SMTP_SENDER": self.smtp_sender,
            "CX_SMTP_SECURITY": self.smtp_security,
            "CX_SMTP_USERNAME": self.smtp_username,
            "CX_SMTP_PASSWORD": self.smtp_password,
            "CX_SQLITE_JOURNAL_MODE": self.sqlite_journal_mode,
            "CX_ROLLUP_REFRESH_MINUTES": self.rollup_refresh_minutes,
            "CX_REPORT_QUEUE_MINUTES": self.report_queue_minutes,
            "CX_REPORT_TIMEOUT_SECONDS": self.report_timeout_seconds,
            "CX_REPORT_MEMORY_MB": self.report_memory_mb,
            **self.extra,
        }


@dataclass(frozen=True)
class ServerSettings:
    """`cxprogram serve`: gunicorn's workers and timeouts (WEB_* environment variables)."""

    workers: int = 3  # processes; WEB_CONCURRENCY, by default 2 per core plus 1, at most 8
    threads: int = 4  # request threads per process (WEB_THREADS)
    timeout: int = 60  # seconds a worker's main loop may go silent before it is replaced
    graceful_timeout: int = 30  # seconds given to requests in flight after SIGTERM
    keepalive: int = 5  # seconds an idle kept-alive connection stays open
    header_timeout: int = 20  # seconds a client has to send its request line and headers


class ConfigError(RuntimeError):
    """Raised when the environment does not describe a usable configuration."""


def from_env(env: dict[str, str] | None = None) -> Config:
    """Build the configuration from environment variables (CX_ENV, SECRET_KEY, DATABASE_URL...)."""
    env = dict(os.environ) if env is None else env
    environment = env.get("CX_ENV", "development")
    secret = env.get("SECRET_KEY", "")
    if not secret:
        if environment not in ("development", "test"):
            raise ConfigError("SECRET_KEY must be set outside development and tests")
        secret = Config.secret_key
    security = env.get("SMTP_SECURITY", "none")
    if security not in ("none", "starttls", "ssl"):
        raise ConfigError(f"SMTP_SECURITY must be none, starttls or ssl, not {security!r}")
    if env.get("SMTP_USERNAME") and security == "none":
        raise ConfigError("SMTP_USERNAME needs SMTP_SECURITY=starttls or ssl: no password in clear")
    journal = env.get("SQLITE_JOURNAL_MODE", "wal").lower()
    if journal not in ("wal", "delete"):
        raise ConfigError(f"SQLITE_JOURNAL_MODE must be wal or delete, not {journal!r}")
    return Config(
        sqlite_journal_mode=journal,
        rollup_refresh_minutes=_rollup_refresh_minutes(env),
        report_queue_minutes=_whole(env, "REPORT_QUEUE_MINUTES", 1, 0, 1440),
        report_timeout_seconds=_whole(env, "REPORT_TIMEOUT_SECONDS", 600, 1, 86400),
        report_memory_mb=_whole(env, "REPORT_MEMORY_MB", 2048, 256, 65536),
        base_url=_base_url(env, environment),
        trusted_proxy_count=_trusted_proxy_count(env),
        secret_key=secret,
        database_url=normalise_database_url(env.get("DATABASE_URL") or _default_database_url()),
        environment=environment,
        session_cookie_secure=environment not in ("development", "test"),
        smtp_host=env.get("SMTP_HOST", ""),
        smtp_port=int(env.get("SMTP_PORT", "25")),
        smtp_sender=env.get("SMTP_SENDER", "cxprogram@localhost"),
        smtp_security=security,
        smtp_username=env.get("SMTP_USERNAME", ""),
        smtp_password=env.get("SMTP_PASSWORD", ""),
        import_limits=_positive_limits(ImportLimits, env, ""),
        export_limits=_positive_limits(ExportLimits, env, "EXPORT_"),
        testing=environment == "test",
    )


def server_from_env(env: dict[str, str] | None = None) -> ServerSettings:
    """The web server's settings from WEB_CONCURRENCY, WEB_THREADS, WEB_TIMEOUT,
    WEB_GRACEFUL_TIMEOUT, WEB_KEEPALIVE and WEB_HEADER_TIMEOUT."""
    env = dict(os.environ) if env is None else env
    values = {"workers": min(2 * (os.cpu_count() or 1) + 1, 8)}
    names = {"workers": "WEB_CONCURRENCY"}
    for name in ServerSettings.__dataclass_fields__:
        variable = names.get(name, f"WEB_{name.upper()}")
        raw = env.get(variable, "").strip()
        if not raw:
            continue
        if not (raw.isascii() and raw.isdigit() and 0 < int(raw) <= 3600):
            raise ConfigError(f"{variable} must be a whole number from 1 to 3600, not {raw!r}")
        values[name] = int(raw)
    return ServerSettings(**values)


def _base_url(env: dict[str, str], environment: str) -> str:
    """BASE_URL, required in production when mail is sent; the local address otherwise."""
    url = env.get("BASE_URL", "").strip().rstrip("/")
    if not url:
        if env.get("SMTP_HOST") and environment not in ("development", "test"):
            raise ConfigError("BASE_URL must be set when SMTP_HOST is: e-mail links use it")
        return LOCAL_BASE_URL
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        raise ConfigError(f"BASE_URL must look like https://cx.example.gov, not {url!r}")
    if parts.query or parts.fragment:
        raise ConfigError(f"BASE_URL must not have a query or fragment: {url!r}")
    return url


def _trusted_proxy_count(env: dict[str, str]) -> int:
    """TRUSTED_PROXY_COUNT: how many proxies in front set X-Forwarded-For (0: none)."""
    value = env.get("TRUSTED_PROXY_COUNT", "0").strip() or "0"
    if not (value.isascii() and value.isdigit()) or int(value) > 10:
        raise ConfigError(f"TRUSTED_PROXY_COUNT must be a whole number from 0 to 10, not {value!r}")
    return int(value)


def _rollup_refresh_minutes(env: dict[str, str]) -> int:
    """ROLLUP_REFRESH_MINUTES: how often the scheduler refreshes changed open periods (0: never)."""
    value = env.get("ROLLUP_REFRESH_MINUTES", "5").strip() or "5"
    if not (value.isascii() and value.isdigit()) or int(value) > 1440:
        raise ConfigError(f"ROLLUP_REFRESH_MINUTES must be 0 (off) to 1440, not {value!r}")
    return int(value)


def _whole(env: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    """A whole-number setting within its bounds, or its default when unset."""
    value = env.get(name, "").strip() or str(default)
    if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
        raise ConfigError(f"{name} must be a whole number from {low} to {high}, not {value!r}")
    return int(value)


def _positive_limits(kind: type[L], env: dict[str, str], prefix: str) -> L:
    """Each limit from its upper-case environment variable (after `prefix`), or its default."""
    values = {}
    for name in kind.__dataclass_fields__:
        variable = prefix + name.upper()
        raw = env.get(variable, "")
        if not raw:
            continue
        if not (raw.isascii() and raw.isdigit() and int(raw) > 0):
            raise ConfigError(f"{variable} must be a positive whole number, not {raw!r}")
        values[name] = int(raw)
    return kind(**values)


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain postgres:// and postgresql:// URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
