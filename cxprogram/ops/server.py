"""`cxprogram serve`: gunicorn, embedded, with the documented production settings."""

from __future__ import annotations

from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from config import ServerSettings

# gunicorn's access log with the request's id and its duration in milliseconds
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s" rid=%({x-request-id}o)s'


def gunicorn_options(host: str, port: int, settings: ServerSettings) -> dict[str, Any]:
    """gunicorn's settings for this host, port and WEB_* configuration."""
    return {
        "bind": [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
        "workers": settings.workers,
        "threads": settings.threads,
        "worker_class": "cxprogram.ops.worker.HeadBufferingWorker",
        "timeout": settings.timeout,
        "graceful_timeout": settings.graceful_timeout,
        "keepalive": settings.keepalive,
        "accesslog": "-",  # stdout
        "errorlog": "-",  # stderr
        "access_log_format": ACCESS_LOG_FORMAT,
        "proc_name": "cxprogram",
        "control_socket_disable": True,  # no socket in $HOME shared by every instance
        "preload_app": False,  # each worker builds its app: no connection crosses a fork
    }


class ProductionServer(BaseApplication):  # type: ignore[misc]
    """gunicorn's arbiter in the foreground, serving create_app() in each worker."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        """Apply our settings (gunicorn's own config files and GUNICORN_CMD_ARGS: none)."""
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        """The application, built in the worker after the fork."""
        from cxprogram import create_app

        return create_app()
