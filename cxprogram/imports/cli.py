"""`cxprogram import ...` commands."""

from __future__ import annotations

from pathlib import Path

import click

from cxprogram.extensions import db
from cxprogram.imports.a11 import A11FormatError, read_a11_file
from cxprogram.imports.a11_load import load_a11
from cxprogram.imports.framework import Importer, apply_plan, plan_file
from cxprogram.imports.registry import importers
from cxprogram.metrics.observation_writes import REFUSALS


@click.group("import")
def import_cli() -> None:
    """Import data from files."""


@import_cli.command("a11")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_a11_command(file: Path) -> None:
    """Import an A-11 answer-count CSV (performance.gov layout); idempotent."""
    try:
        rows = read_a11_file(file)
    except A11FormatError as error:
        for message in error.errors:
            click.echo(message, err=True)
        raise click.ClickException(
            f"{file.name}: nothing imported ({len(error.errors)} problems)."
        ) from error
    try:
        summary = load_a11(rows, source_name=file.name)
    except REFUSALS as refused:
        db.session.rollback()
        raise click.ClickException(f"{file.name}: nothing imported: {refused}") from refused
    db.session.commit()
    click.echo(
        f"{file.name}: {len(rows)} rows, {len(summary.department_codes)} departments, "
        f"{len(summary.period_labels)} periods."
    )
    for key, value in summary.as_dict().items():
        click.echo(f"  {key.replace('_', ' ')}: {value}")


def _file_import_command(importer: Importer) -> click.Command:
    """`cxprogram import KIND FILE` for one registered importer."""
    columns = ", ".join(importer.required + importer.optional)

    @click.command(
        importer.kind,
        help=f"Import {importer.title.lower()} ({columns}) from a .csv or .xlsx file; "
        "all or nothing, every bad row listed.",
    )
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def command(file: Path) -> None:
        run_import(importer, file)

    return command


for _importer in importers().values():
    import_cli.add_command(_file_import_command(_importer))


def run_import(importer: Importer, file: Path) -> None:
    """Validate the whole file; print every error and exit 1, or write it all and print counts."""
    plan = plan_file(importer, file.name, file.read_bytes(), None)
    for warning in plan.warnings:
        click.echo(f"{file.name}: warning: {warning}", err=True)
    if not plan.is_valid:
        for group in plan.error_groups:
            click.echo(f"{file.name}: {group}", err=True)
        for error in plan.errors:
            click.echo(f"{file.name}: {error}", err=True)
        for reason, count in plan.more_errors.items():
            click.echo(f"{file.name}: {count} more: {reason}", err=True)
        click.echo(f"{file.name}: nothing imported ({plan.error_count} errors).", err=True)
        raise SystemExit(1)
    try:
        counts = apply_plan(importer, plan, None)
    except REFUSALS as refused:
        db.session.rollback()
        click.echo(f"{file.name}: nothing imported: {refused}", err=True)
        raise SystemExit(1) from refused
    db.session.commit()
    summary = ", ".join(f"{key.replace('_', ' ')}: {value}" for key, value in counts.items())
    click.echo(f"{file.name}: imported. {summary}")
