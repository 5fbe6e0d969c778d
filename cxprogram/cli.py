"""The `cxprogram` console script: Flask's command line bound to create_app."""

from __future__ import annotations

from flask.cli import FlaskGroup

from cxprogram import create_app


def main() -> None:
    """Run the Flask command line with this application."""
    cli = FlaskGroup(create_app=lambda: create_app(), help="cxprogram administration commands.")
    cli.main(prog_name="cxprogram")
