"""`cxprogram serve`: the production web server in the foreground; SIGTERM stops it."""

from __future__ import annotations

import click

from config import ConfigError, server_from_env
from cxprogram.ops.server import ProductionServer, gunicorn_options


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
def serve_command(host: str, port: int) -> None:
    """Run the production web server (gunicorn; workers from WEB_CONCURRENCY)."""
    try:
        settings = server_from_env()
    except ConfigError as error:
        raise click.ClickException(str(error)) from error
    ProductionServer(gunicorn_options(host, port, settings)).run()
