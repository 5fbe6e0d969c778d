"""Error pages in the application's own look."""

from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from cxprogram.extensions import db

TITLES = {
    400: "Bad request",
    401: "Sign-in required",
    403: "Access denied",
    404: "Page not found",
    413: "File too large",
    429: "Too many requests",
    500: "Something went wrong",
}


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
    from flask import current_app

    current_app.logger.exception("unhandled error", exc_info=error)
    return render_error(500)


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(CSRFError, handle_csrf)
    app.register_error_handler(HTTPException, handle_http)
    if not app.config.get("TESTING"):
        app.register_error_handler(Exception, handle_unexpected)
