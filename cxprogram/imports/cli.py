"""`cxprogram import ...` commands."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from cxprogram.extensions import db
from cxprogram.imports.a11 import A11FormatError, read_a11_file
from cxprogram.imports.a11_load import load_a11
from cxprogram.imports.framework import Importer, apply_plan, plan_file


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
    summary = load_a11(rows, source_name=file.name)
    db.session.commit()
    click.echo(
        f"{file.name}: {len(rows)} rows, {len(summary.department_codes)} departments, "
        f"{len(summary.period_labels)} periods."
    )
    for key, value in summary.as_dict().items():
        click.echo(f"  {key.replace('_', ' ')}: {value}")


@import_cli.command("observations")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_observations_command(file: Path) -> None:
    """Import observations (.csv or .xlsx); all or nothing, every bad row listed."""
    from cxprogram.imports.observations import observation_importer

    run_import(observation_importer(), file)


@import_cli.command("users")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_users_command(file: Path) -> None:
    """Import users (email, name, role, departments); all or nothing; no passwords set."""
    from cxprogram.imports.users_import import user_importer

    run_import(user_importer(), file)


@import_cli.command("departments")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_departments_command(file: Path) -> None:
    """Import departments (code, name, parent); all or nothing, every bad row listed."""
    from cxprogram.imports.departments import DepartmentImporter

    run_import(DepartmentImporter(), file)


@import_cli.command("services")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_services_command(file: Path) -> None:
    """Import services (department, service, channels, journey_stages); all or nothing."""
    from cxprogram.imports.services_import import ServiceImporter

    run_import(ServiceImporter(), file)


def run_import(importer: Importer, file: Path) -> None:
    """Validate the whole file; print every error and exit 1, or write it all and print counts."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    plan = plan_file(importer, file.name, file.read_bytes(), None, limit)
    if not plan.is_valid:
        for error in plan.errors:
            click.echo(f"{file.name}: {error}", err=True)
        click.echo(f"{file.name}: nothing imported ({len(plan.errors)} errors).", err=True)
        raise SystemExit(1)
    counts = apply_plan(importer, plan, None)
    db.session.commit()
    summary = ", ".join(f"{key.replace('_', ' ')}: {value}" for key, value in counts.items())
    click.echo(f"{file.name}: imported. {summary}")
