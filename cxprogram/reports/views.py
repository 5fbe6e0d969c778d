"""The reports page (ask for a report, watch it being made), its JSON status and the
permission-checked, audited download. Thin: load, check access, call a service, commit."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from cxprogram.auth.models import Role, User
from cxprogram.core import audit
from cxprogram.core.permissions import published_department_ids, roles
from cxprogram.extensions import db
from cxprogram.metrics.queries import period_by_label
from cxprogram.reports import queries, services
from cxprogram.reports.forms import RequestReportForm
from cxprogram.reports.models import QuarterlyReport, ReportStatus

bp = Blueprint("reports", __name__, url_prefix="/reports")

READERS = (Role.CHIEF, Role.VIEWER, Role.OFFICER)


def may_read_reports(user: User) -> bool:
    """The quarterly report publishes every department's figures: its readers are those
    who read every department's published figures (chiefs, officers, viewers of all)."""
    return published_department_ids(user) is None


def _require_reader() -> None:
    if not may_read_reports(current_user):
        abort(403, description="The quarterly report covers every department; your account "
                               "reads only some.")  # fmt: skip


def _form() -> RequestReportForm:
    form = RequestReportForm()
    form.period.choices = [(label, label) for label in queries.reported_periods()]
    return form


@bp.get("")
@roles(*READERS)
def list_reports() -> str:
    """Every archived report with how it was made; the chief's request form."""
    _require_reader()
    rows = db.session.execute(queries.reports_query()).tuples().all()
    names = queries.requesters({r.requested_by_id for r, _ in rows if r.requested_by_id})
    return render_template(
        "reports/list_reports.html", rows=rows, names=names, form=_form(),
        is_chief=current_user.role == Role.CHIEF, status=status_of,
    )  # fmt: skip


@bp.post("")
@roles(Role.CHIEF)
def request_report() -> Response | tuple[str, int]:
    """Queue a report of the chosen period's latest snapshot; the scheduler renders it."""
    form = _form()
    if not form.validate_on_submit():
        flash("Choose a period with a rollup snapshot.", "error")
        return redirect(url_for("reports.list_reports"))
    period = period_by_label(form.period.data)
    if period is None:
        abort(404)
    try:
        report = services.request_report(period, current_user, current_user.email)
    except services.NoSnapshot as error:
        flash(str(error), "error")
        return redirect(url_for("reports.list_reports"))
    db.session.commit()
    flash(f"The {period.label} report is queued; this page follows its progress.", "success")
    return redirect(url_for("reports.list_reports", _anchor=f"report-{report.id}"))


def status_of(report: QuarterlyReport) -> dict[str, Any]:
    """What the page and its status endpoint say about a report's production."""
    progress = ""
    if report.status == ReportStatus.RUNNING:
        sections = (f"{report.sections_done} of {report.sections_total} sections built"
                    if report.sections_total else "starting")  # fmt: skip
        pages = f", {report.pages_laid_out} pages laid out" if report.pages_laid_out else ""
        progress = f"{report.stage or 'running'}: {sections}{pages}"
    elif report.status == ReportStatus.QUEUED:
        progress = "waiting for the scheduler"
    elif report.status == ReportStatus.FAILED:
        progress = report.error or "failed"
    return {
        "id": report.id, "status": report.status.value, "progress": progress,
        "is_finished": report.is_finished, "pages": report.pages, "size": report.size_bytes,
        "sha256": report.sha256,
        "download": url_for("reports.download_report", report_id=report.id)
        if report.status == ReportStatus.DONE else None,
    }  # fmt: skip


@bp.get("/<int:report_id>/status")
@roles(*READERS)
def report_status(report_id: int) -> Response:
    """The report's status as JSON (the page polls it)."""
    _require_reader()
    report = queries.report_by_id(report_id)
    if report is None:
        abort(404)
    response = jsonify(status_of(report))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<int:report_id>/download")
@roles(*READERS)
def download_report(report_id: int) -> Response:
    """The archived PDF; every download is audited."""
    _require_reader()
    report = queries.report_by_id(report_id, with_pdf=True)
    if report is None or report.status != ReportStatus.DONE or report.pdf is None:
        abort(404)
    label = queries.period_label(report.period_id)
    audit.record(
        "download",
        "quarterly_report",
        report.id,
        actor=current_user,
        period_label=label,
        after={"sha256": report.sha256},
    )
    db.session.commit()
    response = Response(report.pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="cx-report-{label}-v{report.snapshot_version}-{report.id}.pdf"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
