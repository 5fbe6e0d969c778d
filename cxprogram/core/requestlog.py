"""Request ids and request-aware logs.

Every response carries ``X-Request-Id``: the client's (or the proxy's) when it is sane,
otherwise a new one. Every log record made during a request, whichever logger makes it,
names that id, the method, the path and the signed-in user's id, so that a traceback can
be matched to the access-log line and to the person who met it.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from flask import Flask, g, has_request_context, request
from flask.logging import default_handler
from sqlalchemy import inspect
from werkzeug.wrappers import Response

HEADER = "X-Request-Id"
SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")  # no space, no CR/LF: safe to echo and to log
LOG_FORMAT = (
    "%(asctime)s %(levelname)s [%(request_id)s] %(method)s %(path)s user=%(user_id)s "
    "%(name)s: %(message)s"
)
FIELDS = ("request_id", "method", "path", "user_id")
NO_REQUEST = dict.fromkeys(FIELDS, "-")


def request_id() -> str:
    """This request's id: the incoming X-Request-Id when sane, else a new uuid4 (hex)."""
    current: str | None = g.get("request_id")
    if current is None:
        incoming = request.headers.get(HEADER, "")
        current = incoming if SANE_ID.fullmatch(incoming) else uuid.uuid4().hex
        g.request_id = current
    return current


def _user_id() -> str:
    """The signed-in user's id, read without a query (the user may be expired or the
    database down while an error is logged)."""
    user = g.get("_login_user")  # where Flask-Login keeps the user it loaded
    state = inspect(user, raiseerr=False) if user is not None else None
    identity = state.identity if state is not None else None
    return str(identity[0]) if identity else "-"


def request_fields() -> dict[str, str]:
    """The request's id, method, path and user id; dashes outside a request."""
    if not has_request_context():
        return NO_REQUEST
    return {
        "request_id": request_id(),
        "method": request.method,
        "path": request.path,
        "user_id": _user_id(),
    }


def _install_record_factory() -> None:
    """Every record made anywhere in the process carries the fields (once per process)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "_cx_request_fields", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.__dict__.update(request_fields())
        return record

    factory._cx_request_fields = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def formatter() -> logging.Formatter:
    """The application's log format (records from outside the app get dashes)."""
    return logging.Formatter(LOG_FORMAT, defaults=NO_REQUEST)


def add_header(response: Response) -> Response:
    """after_request: the id on every response, errors included."""
    response.headers[HEADER] = request_id()
    return response


def init_app(app: Flask) -> None:
    """Give records the request's fields, format Flask's handler with them, and send the
    id back on every response."""
    _install_record_factory()
    default_handler.setFormatter(formatter())
    app.after_request(add_header)
