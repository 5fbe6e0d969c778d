"""The export page (a GET filter form), the CSV/XLSX downloads, streamed as they are
written, and the export jobs that make the largest ones in the background (SPEC 6: 202 and
a Location to poll, which gives the file when it is ready)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from cxprogram.core import inputs
from cxprogram.core.models import utcnow
from cxprogram.core.permissions import limit_to_readable, signed_in
from cxprogram.exports import formats, jobs, queries, services
from cxprogram.exports.models import ExportJob, JobState
from cxprogram.exports.queries import DATASETS, ExportFilter
from cxprogram.extensions import db
from cxprogram.org.models import Department
from cxprogram.org.queries import department_codes, departments_query

bp = Blueprint("exports", __name__, url_prefix="/exports")
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
POLL_SECONDS = 2


class FilterForm(FlaskForm):  # type: ignore[misc]
    """Which rows to export. A GET form that changes nothing, so it carries no CSRF token
    (a token in the URL would leak into logs and browser history)."""

    class Meta:
        csrf = False

    fiscal_year = SelectField("Fiscal year", validators=[Optional()], validate_choice=True)
    quarter = SelectField(
        "Quarter",
        choices=[SelectChoice("", "Every quarter")]
        + [SelectChoice(str(q), f"Q{q}") for q in range(1, 5)],
        validators=[Optional()],
    )
    department = SelectField("Department", validators=[Optional()])


def _readable_departments() -> list[Department]:
    query = departments_query()
    return list(db.session.scalars(limit_to_readable(query, Department.id, current_user)))


def _form(departments: list[Department]) -> FilterForm:
    form = FilterForm(inputs.filled_args())  # a blank filter means no filter
    years = queries.fiscal_years()
    form.fiscal_year.choices = [SelectChoice("", "Every year")] + [
        SelectChoice(str(y), f"FY{y}") for y in years
    ]
    form.department.choices = [SelectChoice("", "Every department I may read")] + [
        SelectChoice(d.code, f"{d.name} ({d.code})") for d in departments
    ]
    return form


def _filter(form: FilterForm, departments: list[Department]) -> ExportFilter:
    """The filter a valid form describes."""
    by_code = {d.code: d.id for d in departments}
    dept_id = by_code[form.department.data] if form.department.data else None
    return ExportFilter(
        reader=current_user,
        fiscal_year=int(form.fiscal_year.data) if form.fiscal_year.data else None,
        quarter=int(form.quarter.data) if form.quarter.data else None,
        department_id=dept_id,
    )


def _refuse_unreadable(departments: list[Department]) -> None:
    """403 for an existing department the user may not read (the pages answer the same)."""
    code = request.args.get("department", "")
    if code in {d.code for d in departments} or not code:
        return
    if code in department_codes().values():  # no NUL reaches SQL
        abort(403)


@bp.get("/")
@signed_in
def list_exports() -> str | tuple[str, int]:
    """The filter form and a download link per dataset and format."""
    departments = _readable_departments()
    _refuse_unreadable(departments)
    form = _form(departments)
    is_valid = form.validate() if request.args else True
    page = render_template(
        "exports/list_exports.html", form=form, datasets=DATASETS, is_valid=is_valid,
        query={k: v for k, v in request.args.items() if v},
    )  # fmt: skip
    return page, (200 if is_valid else 400)


@bp.get("/<dataset>.<fmt>")
@signed_in
def download_export(dataset: str, fmt: str) -> Response:
    """The rows the filter selects, as a CSV or XLSX attachment sent as it is written; or,
    above the row count a download may hold (EXPORT_JOB_ROWS_*), 202 and a job to poll."""
    if dataset not in DATASETS or fmt not in formats.MIMETYPES:
        abort(404)
    departments = _readable_departments()
    _refuse_unreadable(departments)
    form = _form(departments)
    if not form.validate():
        abort(400, description="; ".join(f"{k}: {v[0]}" for k, v in form.errors.items()))
    flt, data = _filter(form, departments), DATASETS[dataset]
    name = _safe("-".join([dataset] + [v for v in request.args.values() if v]) + f".{fmt}")
    total = data.count(flt)
    limits = current_app.config["CX_EXPORT_LIMITS"]
    if total > (limits.job_rows_csv if fmt == "csv" else limits.job_rows_xlsx):
        return _start_job(dataset, fmt, flt, name, total)
    body = formats.iter_format(fmt, data.columns, data.rows(flt), data.title, data.widths)
    return _attachment(Response(stream_with_context(body), mimetype=formats.MIMETYPES[fmt]), name)


def _attachment(response: Response, name: str) -> Response:
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Accel-Buffering"] = "no"  # a buffering proxy would delay the stream
    return response


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def _start_job(dataset: str, fmt: str, flt: ExportFilter, name: str, total: int) -> Response:
    """Start (or join) the user's job for this export; 202 with the page to poll."""
    # A GET that writes: end its read, and begin the write taking SQLite's write lock first
    # (a read transaction that then writes fails at once when another writer is busy)
    db.session.rollback()
    db.session.connection(execution_options={"cx_read_only": False})
    now = utcnow()
    keep = timedelta(hours=current_app.config["CX_EXPORT_LIMITS"].job_keep_hours)
    services.purge_jobs(_folder(), now - keep)
    job, is_new = services.start_job(current_user.id, dataset, fmt, flt.params(), name, total, now)
    db.session.commit()
    if is_new:
        jobs.start_export_thread(current_app._get_current_object(), job.id)  # type: ignore[attr-defined]
    response = _job_page(job, status=202)
    response.headers["Location"] = url_for("exports.view_job", token=job.token)
    return response


def _folder() -> Path:
    return Path(current_app.config["CX_EXPORT_DIR"])


def _own_job(token: str) -> ExportJob:
    """The current user's job of this token; 404 for any other token, malformed, unknown or
    another user's (which is not told apart from unknown)."""
    job = queries.job_by_token(token) if TOKEN.fullmatch(token) else None
    if job is None or job.user_id != current_user.id:
        abort(404)
    return job


@bp.get("/jobs/<token>")
@signed_in
def view_job(token: str) -> Response:
    """The job's progress (202 while it runs, refreshing itself), then its download link.
    A client that asks for JSON gets the state as JSON, then 303 to the file when ready."""
    job = _own_job(token)
    is_done = job.is_finished(utcnow())
    wants_json = request.accept_mimetypes.best_match(["text/html", "application/json"])
    if wants_json == "application/json":
        if job.state is JobState.READY:
            return redirect(url_for("exports.download_job_file", token=job.token), 303)
        response = Response(
            current_app.json.dumps(_job_json(job)), status=200 if is_done else 202,
            mimetype="application/json",
        )  # fmt: skip
    else:
        response = _job_page(job, status=200 if is_done else 202)
    if not is_done:
        response.headers["Retry-After"] = str(POLL_SECONDS)
    return response


def _job_json(job: ExportJob) -> dict[str, object]:
    is_stale = job.is_stale(utcnow())
    return {
        "state": "failed" if is_stale else job.state.value, "dataset": job.dataset,
        "format": job.fmt, "done_rows": job.done_rows, "total_rows": job.total_rows,
        "created_at": job.created_at.isoformat(), "updated_at": job.updated_at.isoformat(),
        "error": "stopped (the server restarted); start it again" if is_stale else job.error,
    }  # fmt: skip


def _job_page(job: ExportJob, status: int) -> Response:
    page = render_template(
        "exports/view_job.html", job=job, now=utcnow(), poll_seconds=POLL_SECONDS,
        dataset=DATASETS[job.dataset], states=JobState,
    )  # fmt: skip
    return Response(page, status=status, mimetype="text/html")


@bp.get("/jobs/<token>/file")
@signed_in
def download_job_file(token: str) -> Response:
    """A ready job's file, to the user who asked for it; the poll page until it is ready."""
    job = _own_job(token)
    if job.state is not JobState.READY:
        return redirect(url_for("exports.view_job", token=job.token), 303)
    path = services.job_path(_folder(), job)
    if not path.is_file():
        abort(410, description="This export's file has been deleted; start the export again.")
    response = send_file(path, mimetype=formats.MIMETYPES[job.fmt], max_age=0)
    return _attachment(response, job.filename)
