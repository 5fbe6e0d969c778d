"""JSON API under /api/v1: bearer tokens, the same permissions as the pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, request
from flask_login import current_user
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Response

from cxprogram.api import queries
from cxprogram.api.schemas import (
    ConflictOut,
    DepartmentOut,
    ErrorOut,
    ItemError,
    MetricOut,
    ObservationBatch,
    ObservationIn,
    ObservationOut,
    ObservationPage,
    ObservationQuery,
    ObservationsCreated,
    PeriodOut,
    RollupOut,
    StandardOut,
    StrategyOut,
)
from cxprogram.auth.models import Role
from cxprogram.core import audit
from cxprogram.core.fiscal import LABEL_RE, PeriodLabelError, parse_period
from cxprogram.core.inputs import parse_json
from cxprogram.core.permissions import (
    api,
    can_read_department,
    public,
)
from cxprogram.extensions import csrf, db
from cxprogram.imports.observation_rows import is_permission_error
from cxprogram.imports.observations import plan_rows
from cxprogram.imports.tabular import Row
from cxprogram.metrics.models import MetricDefinition, Observation, Source
from cxprogram.metrics.observation_payload import Existing
from cxprogram.metrics.observation_writes import (
    REFUSALS,
    ConcurrentChangeError,
    DepartmentNotWritableError,
    write_observations,
)
from cxprogram.metrics.queries import period_by_label
from cxprogram.org.queries import department_by_code
from cxprogram.rollup.document import published_document, snapshot_document
from cxprogram.rollup.queries import rollup_snapshot
from cxprogram.strategies.models import Strategy

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # token requests carry no cookie to forge; pages keep CSRF


@bp.errorhandler(HTTPException)
def json_error(error: HTTPException) -> tuple[Response, int]:
    """Errors as JSON (the ErrorOut schema), with WWW-Authenticate on 401."""
    body = ErrorOut(error=error.name, status=error.code or 500, errors=_described(error))
    response = jsonify(body.model_dump())
    if error.code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="cxprogram"'
    return response, error.code or 500


def _described(error: HTTPException) -> list[ItemError]:
    """A 400's or 404's own description as one body-level problem (werkzeug's default texts,
    which all start with "The ", say nothing more than the status)."""
    if error.code in (400, 404) and error.description and not error.description.startswith("The "):
        return [ItemError(index=None, field="", reason=error.description)]
    return []


@bp.get("/departments")
@api()
def list_departments() -> Response:
    """Departments the caller may read."""
    rows = db.session.scalars(queries.readable_departments(current_user))
    return _dump([
        DepartmentOut(code=d.code, name=d.name, active=d.is_active,
                      parent=d.parent.code if d.parent else None)
        for d in rows
    ])  # fmt: skip


@bp.get("/metrics")
@api()
def list_metrics() -> Response:
    """The metric catalog."""
    rows = db.session.scalars(queries.metrics_by_code())
    return _dump([MetricOut.model_validate(_metric(m)) for m in rows])


def _dump(items: list[Any]) -> Response:
    """Serialise validated response models (a drifted field fails here, not in clients)."""
    return jsonify([item.model_dump(mode="json") for item in items])


def _metric(m: MetricDefinition) -> dict[str, Any]:
    return {
        "code": m.code, "name": m.name, "kind": m.kind.value, "unit": m.unit.value,
        "direction": m.direction.value, "aggregation": m.aggregation.value,
        "weighting": m.weighting.value, "target": m.target, "tolerance": m.tolerance,
        "driver": m.driver.value if m.driver else None,
        "scope": "standard" if m.is_standard else "department",
        "frequency": m.frequency.value,
    }  # fmt: skip


@bp.get("/standards")
@api()
def list_standards() -> Response:
    """The service standards of the departments the caller may read."""
    rows = db.session.scalars(queries.readable_standards(current_user))
    return _dump([
        StandardOut(code=s.code, department=s.service.department.code, service=s.service.name,
                    text=s.text, metric=s.metric.code, target=s.target,
                    channel=s.channel.code if s.channel else None, retired=s.is_retired)
        for s in rows
    ])  # fmt: skip


@bp.get("/periods")
@api()
def list_periods() -> Response:
    """Reporting periods with their dates and state."""
    rows = db.session.scalars(queries.periods_by_start())
    return _dump([
        PeriodOut(label=p.label, start=p.start_date, end=p.end_date, state=p.state.value)
        for p in rows
    ])  # fmt: skip


@bp.get("/strategies")
@api()
def list_strategies() -> Response:
    """Strategies of the departments the caller may read."""
    rows = db.session.scalars(queries.readable_strategies(current_user))
    return _dump([StrategyOut.model_validate(_strategy(s)) for s in rows])


def _strategy(s: Strategy) -> dict[str, Any]:
    return {
        "id": s.id, "department": s.department.code, "title": s.title, "status": s.status.value,
        "progress": s.progress,
        "effective_date": s.effective_date.isoformat() if s.effective_date else None,
        "metrics": [
            {"metric": link.metric.code, "expected_direction": link.expected_direction.value}
            for link in s.metric_links
        ],
        "drivers": [d.driver.value for d in s.drivers],
    }  # fmt: skip


@bp.get("/observations")
@api()
def list_observations() -> Response | tuple[Response, int]:
    """Observations, filtered by department, metric and period, a page at a time."""
    try:
        args = ObservationQuery.model_validate(request.args.to_dict())
    except ValidationError as error:
        return _invalid(error, 400)
    if args.department:
        _require_readable(args.department)
    query = queries.readable_observations(
        current_user,
        department=args.department.strip().upper() if args.department else None,
        metric=args.metric.strip() if args.metric else None,
        period=_label(args.period) if args.period else None,
    )
    found = queries.paginate(query, args.page, args.page_size)
    items = [ObservationOut.model_validate(_observation(o)) for o in found.rows]
    page = ObservationPage(
        page=found.page, page_size=found.page_size, total=found.total, items=items
    )
    return jsonify(page.model_dump(mode="json"))


def _invalid(error: ValidationError, status: int) -> tuple[Response, int]:
    """Validation problems as an ErrorOut: index of the item, field, reason."""
    problems = [_problem(e["loc"], e["msg"]) for e in error.errors()]
    body = ErrorOut(error=HTTP_STATUS_CODES[status], status=status, errors=problems)
    return jsonify(body.model_dump()), status


def _problem(loc: tuple[int | str, ...], reason: str) -> ItemError:
    index = loc[0] if loc and isinstance(loc[0], int) else None
    field = ".".join(str(part) for part in loc if not isinstance(part, int))
    return ItemError(index=index, field=field, reason=reason)


def _require_readable(code: str) -> None:
    """403 for a department the caller may not read, as the pages answer."""
    dept = department_by_code(code.strip())
    if dept is None:
        abort(404)
    if not can_read_department(current_user, dept.id):
        abort(403)


def _observation(o: Observation) -> dict[str, Any]:
    return {
        "id": o.id, "department": o.department.code, "metric": o.metric.code,
        "period": o.period.label, "month": o.month, "value": o.value, "n": o.n,
        "service": o.service.name if o.service else None,
        "channel": o.channel.code if o.channel else None,
        "standard": o.standard.code if o.standard else None,
        "key": o.import_key, "label": o.label, "distribution": o.distribution,
        "note": o.note, "source": o.source.value, "version": o.version,
    }  # fmt: skip


def _label(raw: str) -> str:
    """The normalised label; 400 when malformed, 404 for a well-formed impossible one."""
    try:
        return parse_period(raw).label
    except PeriodLabelError as error:
        if LABEL_RE.match(raw.strip().upper()):
            abort(404, description=str(error))  # FY0000-Q1: no such period can exist
        abort(400, description=str(error))


@bp.get("/rollups/<period>")
@api()
def get_rollup(period: str) -> Response:
    """The latest snapshot of a period, or of the latest period with one for `latest`, at
    full precision (SPEC section 6)."""
    label = None if period.strip().lower() == "latest" else _label(period)
    if label is not None and period_by_label(label) is None:
        abort(404, description=f"No reporting period {label}.")
    snapshot = rollup_snapshot(label)
    if snapshot is None:
        abort(404, description=f"No rollup of {label or 'any period'} yet: the nightly job or "
              f"`cxprogram rollup --period {label or 'FY2024-Q1'}` computes it.")  # fmt: skip
    document = snapshot_document(snapshot)
    RollupOut.model_validate(document)  # the documented shape, checked on the way out
    return jsonify(published_document(document, current_user))


@bp.post("/observations")
@api(Role.CHIEF, Role.OFFICER)
def create_observations() -> tuple[Response, int]:
    """Store a list of observations under the import's rules: all of them, or none."""
    if not request.is_json:
        abort(415)
    items = _json_list(request.get_data())
    if isinstance(items, ItemError):
        return _problems([items], 422)
    rows, problems = _typed_rows(items)
    plan = plan_rows(rows, current_user, item_word="item")
    problems += [ItemError(index=e.row, field=e.column, reason=e.reason) for e in plan.errors]
    if problems:
        status = 403 if any(is_permission_error(e) for e in plan.errors) else 422
        return _problems(sorted(problems, key=lambda p: (p.index or 0, p.field)), status)
    stale = _stale_versions(items, plan.payload.stored)
    if stale:
        return _conflict(stale, plan.payload.stored)
    try:
        counts = write_observations(
            plan.payload, current_user, Source.API, "POST /api/v1/observations"
        )
    except REFUSALS as refused:
        db.session.rollback()
        return _refused(refused)
    audit.record("create", "api:observations", "POST", actor=current_user, after=counts)
    db.session.commit()
    return jsonify(ObservationsCreated(**counts).model_dump()), 201


def _stale_versions(items: list[Any], stored: dict[int, Existing]) -> list[ItemError]:
    """Each item whose `version` is not the stored observation's (SPEC 6, the grid's rule)."""
    stale = []
    for index, item in enumerate(items):
        version = item.get("version")
        current = stored.get(index)
        if version is not None and (current is None or current.version != version):
            now = f"is at version {current.version}" if current else "is not stored"
            reason = f"version {version} is stale: the observation {now}; nothing was written"
            stale.append(ItemError(index=index, field="version", reason=reason))
    return stale


def _conflict(stale: list[ItemError], stored: dict[int, Existing]) -> tuple[Response, int]:
    """409 naming each stale item and the observation's current version and values."""
    ids = [stored[e.index].id for e in stale if e.index is not None and e.index in stored]
    rows = db.session.scalars(queries.observations_by_id(ids)).all()
    current = [ObservationOut.model_validate(_observation(o)) for o in rows]
    body = ConflictOut(error=HTTP_STATUS_CODES[409], status=409, errors=stale, current=current)
    return jsonify(body.model_dump(mode="json")), 409


def _refused(error: Exception) -> tuple[Response, int]:
    """What the write service refused, with its reason; a version that moved on since the
    rows were planned is a 409, as it was before."""
    if isinstance(error, ConcurrentChangeError):
        abort(409)
    status = 403 if isinstance(error, DepartmentNotWritableError) else 422
    return _problems([ItemError(index=None, field="", reason=str(error))], status)


def _problems(problems: list[ItemError], status: int) -> tuple[Response, int]:
    body = ErrorOut(error=HTTP_STATUS_CODES[status], status=status, errors=problems)
    return jsonify(body.model_dump()), status


def _json_list(data: bytes) -> list[Any] | ItemError:
    """The body as a list within the batch limits, or the problem with it."""
    try:
        items = parse_json(data)  # NaN and Infinity parse; the row rules refuse them
    except ValueError as error:
        return ItemError(index=None, field="", reason=f"the body is not valid JSON ({error})")
    try:
        ObservationBatch.model_validate([{}] * len(items) if isinstance(items, list) else items)
    except ValidationError as error:
        list_errors = [e for e in error.errors() if not e["loc"]]
        if list_errors:
            return ItemError(index=None, field="", reason=list_errors[0]["msg"])
    return list(items)


def _typed_rows(items: list[Any]) -> tuple[list[Row], list[ItemError]]:
    """Each item checked against ObservationIn; the good ones as rows of the import."""
    rows, problems = [], []
    for index, item in enumerate(items):
        try:
            rows.append(_row(index, ObservationIn.model_validate(item)))
        except ValidationError as error:
            problems += [_problem((index, *e["loc"]), e["msg"]) for e in error.errors()]
    return rows, problems


def _row(index: int, item: ObservationIn) -> Row:
    """An item as a row of the import file (its number is the item's index)."""
    cells = {"department": item.department, "metric": item.metric, "period": item.period,
             "value": repr(item.value)}  # fmt: skip
    given = item.model_dump(exclude_unset=True)  # (getattr warns of the deprecated alias)
    for name in (
        "n",
        "service",
        "channel",
        "standard",
        "note",
        "key",
        "import_key",
        "label",
        "month",
    ):
        if name in given:
            value = given[name]
            cells[name] = "" if value is None else value if isinstance(value, str) else repr(value)
    return Row(index, cells)


@bp.get("/openapi.json")
@public
def openapi() -> Response:
    """The OpenAPI 3 description of this API."""
    from cxprogram.api.openapi import document

    return jsonify(document())
