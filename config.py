"""Configuration: the only module that reads the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _default_database_url() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'cxprogram.db'}"


@dataclass(frozen=True)
class Config:
    """Settings handed to create_app; built from the environment by from_env()."""

    secret_key: str = "dev-only-not-secret"  # noqa: S105 - replaced outside development
    database_url: str = field(default_factory=_default_database_url)
    environment: str = "development"
    session_cookie_secure: bool = False
    login_max_failures: int = 5
    login_window_seconds: int = 900
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_sender: str = "cxprogram@localhost"
    smtp_security: str = "none"  # none, starttls or ssl
    smtp_username: str = ""
    smtp_password: str = ""
    base_url: str = "http://localhost:5000"  # the origin of every link in an e-mail
    max_upload_bytes: int = 20 * 1024 * 1024
    testing: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

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
            "MAX_CONTENT_LENGTH": self.max_upload_bytes,
            "TESTING": self.testing,
            "WTF_CSRF_TIME_LIMIT": None,
            "CX_ENVIRONMENT": self.environment,
            "CX_LOGIN_MAX_FAILURES": self.login_max_failures,
            "CX_LOGIN_WINDOW_SECONDS": self.login_window_seconds,
            "CX_SMTP_HOST": self.smtp_host,
            "CX_SMTP_PORT": self.smtp_port,
            "CX_SMTP_SENDER": self.smtp_sender,
            "CX_SMTP_SECURITY": self.smtp_security,
            "CX_SMTP_USERNAME": self.smtp_username,
            "CX_SMTP_PASSWORD": self.smtp_password,
            "CX_BASE_URL": self.base_url,
            **self.extra,
        }


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
    return Config(
        secret_key=secret,
        base_url=_base_url(env.get("BASE_URL") or Config.base_url),
        database_url=normalise_database_url(env.get("DATABASE_URL") or _default_database_url()),
        environment=environment,
        session_cookie_secure=environment not in ("development", "test"),
        smtp_host=env.get("SMTP_HOST", ""),
        smtp_port=int(env.get("SMTP_PORT", "25")),
        smtp_sender=env.get("SMTP_SENDER", "cxprogram@localhost"),
        smtp_security=security,
        smtp_username=env.get("SMTP_USERNAME", ""),
        smtp_password=env.get("SMTP_PASSWORD", ""),
        testing=environment == "test",
    )


def _base_url(url: str) -> str:
    """BASE_URL as an origin (and optional path) without its trailing slash."""
    if not url.startswith(("http://", "https://")) or "?" in url or "#" in url:
        raise ConfigError(f"BASE_URL must be an http:// or https:// URL, not {url!r}")
    return url.rstrip("/")


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain postgres:// and postgresql:// URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
