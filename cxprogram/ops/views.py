"""Health checks: /healthz (the process runs) and /readyz (the database is ready); and
/favicon.ico, which browsers and bookmarks ask for whatever the page links."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from werkzeug.wrappers import Response

from cxprogram.core.errors import RETRY_AFTER_SECONDS
from cxprogram.core.permissions import public
from cxprogram.ops import queries

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
@public
def healthz() -> Response:
    """200 while the process answers; touches no database (liveness)."""
    return jsonify({"status": "ok"})


@bp.get("/favicon.ico")
@public
def favicon() -> Response:
    """The icon from the static folder; touches no database."""
    return current_app.send_static_file("favicon.ico")


@bp.get("/readyz")
@public
def readyz() -> Response:
    """200 when the database answers and its migrations are at head, else 503 saying why."""
    state = queries.readiness()
    body = {
        "status": "ready" if state.is_ready else "unavailable",
        "reason": state.reason,
        "database": state.database,
        "migrations": {"current": list(state.current), "head": list(state.head)},
    }
    response = jsonify(body)
    if not state.is_ready:
        if state.detail:
            current_app.logger.warning("not ready: database %s: %s", state.database, state.detail)
        response.status_code = 503
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
