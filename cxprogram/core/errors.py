"""Error pages in the application's own look."""

from __future__ import annotations

import contextlib

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from cxprogram.extensions import db, login_manager

TITLES = {
    400: "Bad request",
    401: "Sign-in required",
    403: "Access denied",
    404: "Page not found",
    413: "File too large",
    429: "Too many requests",
    500: "Something went wrong",
    503: "Service unavailable",
}
RETRY_AFTER_SECONDS = 15
# The database is unreachable, refused the connection, dropped it, or the pool waited in vain
# (OperationalError includes SQLite's "unable to open" and a lock held past the busy timeout).
DATABASE_DOWN = (exc.OperationalError, exc.InterfaceError, exc.TimeoutError)


def render_error(code: int, message: str | None = None) -> tuple[str, int]:
    """Render the shared error template with a status code."""
    return (
        render_template(
            "errors/error.html", code=code, title=TITLES.get(code, "Error"), message=message
        ),
        code,
    )


def handle_http(error: HTTPException) -> tuple[str, int, list[tuple[str, str]]]:
    """Any HTTP error: the same page, with the right status and its headers (405: Allow)."""
    code = error.code or 500
    if code == 500:
        db.session.rollback()
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    return (*render_error(code, _own_description(error)), headers)


def _own_description(error: HTTPException) -> str | None:
    """The message a view gave abort() (e.g. naming a bad parameter), not Werkzeug's."""
    default = type(error).description
    return error.description if error.description and error.description != default else None


def handle_csrf(error: CSRFError) -> tuple[str, int]:
    """A form without a valid CSRF token: 400 with a plain explanation."""
    return render_error(
        400, "The form was missing its security token. Reload the page and try again."
    )


def handle_unexpected(error: Exception) -> tuple[str, int]:
    """An unexpected exception: roll back, log, and show the 500 page."""
    db.session.rollback()
    current_app.logger.exception("unhandled error", exc_info=error)
    return render_error(500)


def handle_database_down(error: Exception) -> Response:
    """The database does not answer: 503 with Retry-After, as JSON for the API and as a
    page that needs no database (templating skips its queries once `g` says so)."""
    g.database_unavailable = True
    if "_login_user" not in g:  # Flask-Login's template context would query for the user
        g._login_user = login_manager.anonymous_user()
    current_app.logger.warning("database unavailable: %s", _first_line(error))
    with contextlib.suppress(*DATABASE_DOWN):  # the connection is gone; the pool dropped it
        db.session.rollback()
    if request.blueprint == "api":
        body = {"error": "Service Unavailable", "status": 503, "errors": []}  # ErrorOut
        response = jsonify(body)
    else:
        message = "The database is not answering. Please try again in a minute."
        response = current_app.make_response(render_error(503, message))
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _first_line(error: Exception) -> str:
    """The driver's message without SQLAlchemy's statement and background link."""
    original = getattr(error, "orig", None) or error
    return (str(original).strip().splitlines() or [type(original).__name__])[0]


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(CSRFError, handle_csrf)
    app.register_error_handler(HTTPException, handle_http)
    for error in DATABASE_DOWN:
        app.register_error_handler(error, handle_database_down)
    if not app.config.get("TESTING"):
        app.register_error_handler(Exception, handle_unexpected)
