"""`cxprogram rollup`: compute snapshots and print a summary."""

from __future__ import annotations

import logging
import signal
from datetime import UTC, datetime

import click
from flask import Flask, current_app
from flask.logging import default_handler

from cxprogram.core.fiscal import PeriodLabelError, parse_period
from cxprogram.core.locks import job_lock
from cxprogram.extensions import db
from cxprogram.rollup import services


@click.command("rollup")
@click.option("--period", "label", help="One period, e.g. FY2023-Q1.")
@click.option("--all", "every", is_flag=True, help="Every period (default: the open ones).")
@click.option(
    "--rebuild-cache",
    is_flag=True,
    help="Recompute every period's cached aggregates first (after restoring or rebuilding "
    "the observations table by hand).",
)
def rollup_command(label: str | None, every: bool, rebuild_cache: bool) -> None:
    """Compute rollup snapshots; unchanged inputs store nothing new."""
    if label:
        try:
            label = parse_period(label).label
        except PeriodLabelError as error:
            raise click.BadParameter(str(error), param_hint="--period") from error
    with job_lock(services.ROLLUP_LOCK):  # waits for a scheduler's rollup job, and it for us
        periods = services.periods_to_roll(label, every)
        if label and not periods:
            raise click.ClickException(f"No reporting period {label}.")
        if not periods:
            click.echo(
                "No open reporting period: nothing to roll up. Closed periods keep their final "
                "snapshot; --all or --period P computes them again."
            )
        now = datetime.now(UTC)
        if rebuild_cache:
            cleared = services.clear_aggregates()
            click.echo(f"cleared the cached aggregates of {cleared} period(s)")
        for period in periods:
            outcome = services.run_rollup(period, now)
            result = outcome.snapshot.result
            index = result.get("consistency_index")
            shown = f"{index:.1f}%" if isinstance(index, float) else "n/a"
            state = "new" if outcome.is_new else "unchanged"
            click.echo(
                f"{outcome.period}: snapshot v{outcome.snapshot.version} ({state}), "
                f"{len(result['metrics'])} metrics, consistency index {shown}"
            )
        db.session.commit()


@click.command("scheduler")
@click.option("--run-now", "run_now", help="Run one job at once and exit (e.g. nightly-rollup).")
def scheduler_command(run_now: str | None) -> None:
    """Run the scheduler process (exactly one per installation); Ctrl-C or SIGTERM stops it,
    letting a running job finish first."""
    # imported here: the web app registers this command, its workers never run a scheduler
    from cxprogram.org.queries import organization_settings
    from cxprogram.rollup.jobs import run_job
    from cxprogram.rollup.scheduler import build_scheduler, job_by_id

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    _log_to_stderr(app)
    if run_now:
        try:
            spec = job_by_id(run_now)
        except KeyError as error:
            raise click.BadParameter(str(error), param_hint="--run-now") from error
        done = run_job(app, spec.id, spec.body, lock=spec.lock)
        click.echo(f"{spec.id}: {done} item(s)")
        return
    timezone = organization_settings().time_zone or "UTC"
    db.session.remove()
    scheduler = build_scheduler(app, timezone)
    for job in scheduler.get_jobs():
        click.echo(f"scheduled {job.id}: {job.trigger}")
    click.echo("scheduler running; Ctrl-C stops it")
    signal.signal(signal.SIGTERM, _exit_on_sigterm)  # service managers stop with SIGTERM
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=True)
        click.echo("scheduler stopped")


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _log_to_stderr(app: Flask) -> None:
    """The scheduler process logs every job's outcome (INFO) to stderr, once, unless logging
    was set up already (then that configuration decides)."""
    if logging.getLogger().handlers:
        return
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app.logger.removeHandler(default_handler)  # the root handler prints Flask's lines now
