"""The report jobs the scheduler runs: queue the quarter-close report after the final rollup;
render queued reports in a child process; tell the chief when a quarter's report is ready."""

from __future__ import annotations

import os
import smtplib
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app

from cxprogram.auth.models import Role
from cxprogram.core.mail import MESSAGE_REFUSED, external_url, send_mail
from cxprogram.extensions import db
from cxprogram.metrics.models import ReportingPeriod
from cxprogram.org.queries import mail_settings
from cxprogram.reminders.queries import active_people
from cxprogram.reports import queries, services
from cxprogram.reports.models import QuarterlyReport, ReportStatus
from cxprogram.reports.worker import RenderFailed, RenderJob, limits_from, render_in_child
from cxprogram.rollup.jobs import run_quarter_close
from cxprogram.rollup.queries import latest_snapshot

PROGRESS_EVERY = 0.5  # seconds between progress writes
STALE_AFTER = timedelta(seconds=120)  # past the deadline with no heartbeat: the renderer died


def run_quarter_close_reports(now: datetime) -> int:
    """The final rollup of every closed period, then one report queued per final snapshot
    that has none (a unique key makes a second scheduler's attempt a no-op)."""
    run_quarter_close(now)
    queued = 0
    for period in queries.closed_periods():
        snapshot = latest_snapshot(period.id, with_result=False)
        if snapshot is None or not snapshot.is_final:
            continue
        key = services.close_key(period, snapshot)
        if queries.report_for_close_key(key) is None:
            services.request_report(period, None, "quarter close", close_key=key)
            queued += 1
    return queued


def run_report_queue(now: datetime) -> int:
    """Fail reports whose renderer died, render every queued report, send pending e-mails;
    returns the number of reports rendered (done or failed)."""
    reap_stale(now)
    db.session.commit()
    done = sum(render_one(report_id) for report_id in queries.queued_report_ids())
    mail_ready_reports()
    return done


def is_stale(report: QuarterlyReport, now: datetime, timeout_seconds: float) -> bool:
    """A running report whose renderer has been silent past its deadline."""
    beat = report.heartbeat_at or report.started_at
    return beat is None or now - beat > timedelta(seconds=timeout_seconds) + STALE_AFTER


def reap_stale(now: datetime) -> int:
    """Mark failed the running reports whose renderer stopped without a word."""
    timeout = limits_from(current_app.config).timeout_seconds
    stale = [r for r in queries.running_reports() if is_stale(r, now, timeout)]
    for report in stale:
        services.fail(report, "the renderer stopped without finishing (no progress since "
                      f"{(report.heartbeat_at or report.queued_at).isoformat()})", now)  # fmt: skip
    return len(stale)


def render_one(report_id: int) -> bool:
    """Claim, render in a child process and archive one report; False when taken already."""
    if not services.claim(report_id, _now(), os.getpid()):
        db.session.rollback()
        return False
    db.session.commit()
    report = queries.report_by_id(report_id)
    assert report is not None and report.snapshot_id is not None
    period = db.session.get(ReportingPeriod, report.period_id)
    snapshot = queries.snapshot_by_id(report.snapshot_id)
    assert period is not None and snapshot is not None
    payload = services.report_payload(period, snapshot, report_id)
    job = RenderJob(payload.document, payload.facts, payload.identifier, _now().isoformat())
    db.session.commit()
    try:
        rendered = render_in_child(job, limits_from(current_app.config),
                                   _progress_writer(report_id), _pid_writer(report_id))  # fmt: skip
    except RenderFailed as error:
        db.session.rollback()
        services.fail(_reload(report_id), str(error), _now())
        db.session.commit()
        return True
    timings = {"build": rendered.build_seconds, "render": rendered.render_seconds}
    services.archive(_reload(report_id), rendered.pdf, rendered.pages, _now(), timings)
    db.session.commit()
    return True


def _reload(report_id: int) -> QuarterlyReport:
    report = queries.report_by_id(report_id)
    assert report is not None
    return report


def _progress_writer(report_id: int) -> Any:
    """A progress callback that writes at most every PROGRESS_EVERY seconds (the last
    sections and page counts always reach the row before the result does)."""
    last = [0.0]
    pending: dict[str, Any] = {}

    def write(values: dict[str, Any]) -> None:
        pending.update(values)
        finished = values.get("sections_done") == values.get("sections_total", -1)
        if time.monotonic() - last[0] < PROGRESS_EVERY and "stage" not in values and not finished:
            return
        services.record_progress(report_id, _now(), **pending)
        db.session.commit()
        pending.clear()
        last[0] = time.monotonic()

    return write


def _pid_writer(report_id: int) -> Any:
    def write(pid: int) -> None:
        services.record_progress(report_id, _now(), render_pid=pid)
        db.session.commit()

    return write


def mail_ready_reports() -> int:
    """E-mail the chiefs a link (never the file) to each quarter-close report that is done
    and not yet announced; a failure is logged and tried again on the next run."""
    settings = mail_settings()
    ready = [r for r in queries.unannounced_reports() if r.status == ReportStatus.DONE]
    if not settings.is_configured or not ready:
        return 0
    chiefs = active_people(Role.CHIEF)
    sent = 0
    for report in ready:
        label = queries.period_label(report.period_id)
        link = external_url("reports.download_report", report_id=report.id)
        body = current_app.jinja_env.get_template("email/report_ready.txt").render(
            period=label, link=link, report=report,
            history=external_url("reports.list_reports"))  # fmt: skip
        try:
            for chief in chiefs:
                send_mail(settings, chief.email, f"The {label} quarterly report is ready", body)
        except (*MESSAGE_REFUSED, OSError, smtplib.SMTPException) as error:
            current_app.logger.error("report %s: the ready e-mail failed (%r)", report.id, error)
            break
        report.mailed_at = _now()
        db.session.commit()
        sent += 1
    return sent


def _now() -> datetime:
    return datetime.now(UTC)
