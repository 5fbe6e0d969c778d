"""`cxprogram report --period P --out FILE.pdf`: the quarterly PDF, made here and archived."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import click

from cxprogram.core.fiscal import PeriodLabelError, parse_period
from cxprogram.extensions import db
from cxprogram.metrics.queries import period_by_label
from cxprogram.reports import services
from cxprogram.reports.worker import RenderJob, produce


@click.command("report")
@click.option("--period", "label", required=True, help="The period, e.g. FY2023-Q1.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the PDF.")  # fmt: skip
def report_command(label: str, out: Path) -> None:
    """Make the period's quarterly PDF from its latest rollup snapshot, write it to FILE and
    archive it (status done, with its SHA-256, size, pages and timings)."""
    try:
        label = parse_period(label).label
    except PeriodLabelError as error:
        raise click.BadParameter(str(error), param_hint="--period") from error
    period = period_by_label(label)
    if period is None:
        raise click.ClickException(f"No reporting period {label}.")
    try:
        report = services.request_report(period, None, "command line")
    except services.NoSnapshot as error:
        raise click.ClickException(
            f"{error} Run `cxprogram rollup --period {label}` first."
        ) from error
    assert report.snapshot_id is not None
    services.claim(report.id, datetime.now(UTC), os.getpid())
    snapshot = services.snapshot_of(report)
    payload = services.report_payload(period, snapshot, report.id)
    now = datetime.now(UTC)
    rendered = produce(RenderJob(payload.document, payload.facts, payload.identifier,
                                 now.isoformat()), lambda values: None)  # fmt: skip
    out.write_bytes(rendered.pdf)
    db.session.refresh(report)
    timings = {"build": rendered.build_seconds, "render": rendered.render_seconds}
    services.archive(report, rendered.pdf, rendered.pages, datetime.now(UTC), timings)
    db.session.commit()
    click.echo(f"{label}: snapshot v{report.snapshot_version}, {rendered.pages} pages, "
               f"{len(rendered.pdf):,} bytes, sha256 {report.sha256} -> {out}")  # fmt: skip
