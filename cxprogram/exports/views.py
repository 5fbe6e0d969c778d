"""The export page (a GET filter form) and the CSV/XLSX downloads. Reads only."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from cxprogram.core import inputs
from cxprogram.core.permissions import limit_to_readable, signed_in
from cxprogram.exports import formats, queries
from cxprogram.exports.queries import ExportFilter
from cxprogram.extensions import db
from cxprogram.org.models import Department
from cxprogram.org.queries import department_codes, departments_query

bp = Blueprint("exports", __name__, url_prefix="/exports")

DATASETS = {
    "observations": ("Observations", queries.OBSERVATION_COLUMNS, queries.observation_rows),
    "strategies": ("Strategies", queries.STRATEGY_COLUMNS, queries.strategy_rows),
}


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
    """The rows the filter selects, as a CSV or XLSX attachment."""
    if dataset not in DATASETS or fmt not in ("csv", "xlsx"):
        abort(404)
    departments = _readable_departments()
    _refuse_unreadable(departments)
    form = _form(departments)
    if not form.validate():
        abort(400, description="; ".join(f"{k}: {v[0]}" for k, v in form.errors.items()))
    flt = _filter(form, departments)
    title, columns, rows = DATASETS[dataset]
    if fmt == "csv":
        content, mimetype = formats.to_csv(columns, rows(flt)), formats.CSV_TYPE
    else:
        content, mimetype = formats.to_xlsx(columns, rows(flt), title), formats.XLSX_TYPE
    name = "-".join([dataset] + [v for v in request.args.values() if v]) + f".{fmt}"
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{_safe(name)}"'
    return response


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
