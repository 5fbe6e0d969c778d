"""JSON API under /api/v1: bearer tokens, the same permissions as the pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, request
from flask_login import current_user
from sqlalchemy import Select, func, select
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from cxprogram.auth.models import Role
from cxprogram.core.fiscal import PeriodLabelError, parse_period
from cxprogram.core.permissions import api, can_read_department, public
from cxprogram.extensions import csrf, db
from cxprogram.metrics.models import MetricDefinition, Observation, ReportingPeriod
from cxprogram.org.models import Department
from cxprogram.rollup.queries import latest_snapshot
from cxprogram.rollup.services import snapshot_document
from cxprogram.strategies.models import Strategy

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # token requests carry no cookie to forge; pages keep CSRF

MAX_PAGE_SIZE = 500


@bp.errorhandler(HTTPException)
def json_error(error: HTTPException) -> tuple[Response, int]:
    """Errors as JSON, with WWW-Authenticate on 401."""
    response = jsonify({"error": error.name, "status": error.code})
    if error.code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="cxprogram"'
    return response, error.code or 500


def _visible(query: Select[Any], column: Any) -> Select[Any]:
    """Limit a query to the departments the token's user may read."""
    if (
        current_user.role in (Role.CHIEF, Role.ADMIN, Role.OFFICER)
        or current_user.sees_all_departments
    ):
        return query
    return query.where(column.in_(current_user.department_ids or {-1}))


@bp.get("/departments")
@api()
def list_departments() -> Response:
    """Departments the caller may read."""
    rows = db.session.scalars(_visible(select(Department).order_by(Department.code), Department.id))
    return jsonify(
        [{"code": d.code, "name": d.name, "active": d.is_active,
          "parent": d.parent.code if d.parent else None} for d in rows]
    )  # fmt: skip


@bp.get("/metrics")
@api()
def list_metrics() -> Response:
    """The metric catalog."""
    rows = db.session.scalars(select(MetricDefinition).order_by(MetricDefinition.code))
    return jsonify([_metric(m) for m in rows])


def _metric(m: MetricDefinition) -> dict[str, Any]:
    return {
        "code": m.code, "name": m.name, "kind": m.kind.value, "unit": m.unit.value,
        "direction": m.direction.value, "aggregation": m.aggregation.value,
        "weighting": m.weighting.value, "target": m.target, "tolerance": m.tolerance,
        "driver": m.driver.value if m.driver else None,
        "scope": "standard" if m.is_standard else "department",
    }  # fmt: skip


@bp.get("/periods")
@api()
def list_periods() -> Response:
    """Reporting periods with their dates and state."""
    rows = db.session.scalars(select(ReportingPeriod).order_by(ReportingPeriod.start_date))
    return jsonify(
        [{"label": p.label, "start": p.start_date.isoformat(), "end": p.end_date.isoformat(),
          "state": p.state.value} for p in rows]
    )  # fmt: skip


@bp.get("/strategies")
@api()
def list_strategies() -> Response:
    """Strategies of the departments the caller may read."""
    query = _visible(
        select(Strategy).join(Strategy.department).order_by(Strategy.id), Department.id
    )
    return jsonify([_strategy(s) for s in db.session.scalars(query)])


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
def list_observations() -> Response:
    """Observations, filtered by department, metric and period, a page at a time."""
    query = (
        select(Observation)
        .join(Observation.department).join(Observation.metric).join(Observation.period)
        .order_by(Observation.id)
    )  # fmt: skip
    if request.args.get("department"):
        _require_readable(request.args["department"])
        query = query.where(Department.code == request.args["department"].strip().upper())
    if request.args.get("metric"):
        query = query.where(MetricDefinition.code == request.args["metric"].strip())
    if request.args.get("period"):
        query = query.where(ReportingPeriod.label == _label(request.args["period"]))
    query = _visible(query, Department.id)
    page = request.args.get("page", 1, type=int) or 1
    size = min(request.args.get("page_size", 100, type=int) or 100, MAX_PAGE_SIZE)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.scalars(query.limit(size).offset((max(page, 1) - 1) * size))
    return jsonify(
        {"page": page, "page_size": size, "total": total, "items": [_observation(o) for o in rows]}
    )


def _require_readable(code: str) -> None:
    """403 for a department the caller may not read, as the pages answer."""
    dept = db.session.scalar(select(Department).where(Department.code == code.strip().upper()))
    if dept is None:
        abort(404)
    if not can_read_department(current_user, dept.id):
        abort(403)


def _observation(o: Observation) -> dict[str, Any]:
    return {
        "id": o.id, "department": o.department.code, "metric": o.metric.code,
        "period": o.period.label, "value": o.value, "n": o.n,
        "service": o.service.name if o.service else None,
        "channel": o.channel.code if o.channel else None,
        "distribution": o.distribution, "note": o.note, "source": o.source.value,
        "version": o.version,
    }  # fmt: skip


def _label(raw: str) -> str:
    try:
        return parse_period(raw).label
    except PeriodLabelError as error:
        abort(400, description=str(error))


@bp.get("/rollups/<period>")
@api()
def get_rollup(period: str) -> Response:
    """The latest snapshot of a period at full precision (SPEC section 6)."""
    row = db.session.scalar(select(ReportingPeriod).where(ReportingPeriod.label == _label(period)))
    if row is None:
        abort(404)
    snapshot = latest_snapshot(row.id)
    if snapshot is None:
        abort(404)
    document = snapshot_document(snapshot)
    if current_user.role == Role.VIEWER and not current_user.sees_all_departments:
        document = _only_visible_departments(document)
    return jsonify(document)


def _only_visible_departments(document: dict[str, Any]) -> dict[str, Any]:
    """Viewers limited to a list of departments see only those departments' rows."""
    codes = {d.code for d in current_user.departments if can_read_department(current_user, d.id)}
    for block in document["metrics"].values():
        block["departments"] = {c: v for c, v in block["departments"].items() if c in codes}
        if block.get("decomposition"):
            parts = block["decomposition"]["departments"]
            block["decomposition"]["departments"] = {c: v for c, v in parts.items() if c in codes}
    document["strategy_effects"] = [
        e for e in document["strategy_effects"] if e["department"] in codes
    ]
    return document


@bp.get("/openapi.json")
@public
def openapi() -> Response:
    """The OpenAPI 3 description of this API."""
    from cxprogram.api.openapi import document

    return jsonify(document())
