"""Untrusted input checked in one place, so that no value a client sends is a 500.

Integers are ASCII digits bounded to what the database holds (the id and version columns
are INTEGER, a signed 32-bit integer on PostgreSQL): URL arguments through the app-wide
``int`` converter, query parameters through ``int_arg``, form fields through ``to_int``.
A blank filter means "no filter"; a path argument may hold no control character and a
parameter no NUL (PostgreSQL refuses it in text); JSON is parsed with a nesting limit.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, abort, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter, Map

MAX_INT = 2**31 - 1  # the largest PostgreSQL INTEGER (SQLite's INTEGER holds 2**63 - 1)
JSON_MAX_DEPTH = 32  # nesting of arrays and objects a JSON body may have
DIGITS = re.compile(r"[0-9]+")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")


def to_int(text: str | None, maximum: int = MAX_INT) -> int | None:
    """The number a text holds when it is ASCII digits from 0 to `maximum`, else None."""
    text = (text or "").strip()
    if not DIGITS.fullmatch(text) or len(text) > 19 or int(text) > maximum:
        return None
    return int(text)


def version(text: str | None) -> int:
    """The version a form carried; -1, which never matches a row, when it is not one."""
    value = to_int(text)
    return -1 if value is None else value


def int_arg(name: str, maximum: int = MAX_INT) -> int | None:
    """A query parameter as an integer; None when absent or blank; 400 naming it when it is
    not ASCII digits from 0 to `maximum`."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    value = to_int(raw, maximum)
    if value is None:
        abort(400, f"{name} must be a whole number from 0 to {maximum}")
    return value


def filled_args() -> MultiDict[str, str]:
    """The query parameters without the blank ones (a blank filter means no filter)."""
    return MultiDict([(k, v) for k, v in request.args.items(multi=True) if v.strip()])


def json_depth(text: str) -> int:
    """How deeply arrays and objects nest in a JSON text (strings do not count)."""
    depth = deepest = 0
    for bracket in _NOT_BRACKETS.sub("", _STRINGS.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def parse_json(data: bytes | str, max_depth: int = JSON_MAX_DEPTH) -> Any:
    """The JSON a body holds. ValueError when it is not JSON; 400 (BadRequest, naming the
    limit) when it nests deeper than `max_depth` or holds a NUL character."""
    text = data.decode(json.detect_encoding(data)) if isinstance(data, bytes) else data
    if json_depth(text) > max_depth:
        raise BadRequest(f"the JSON nests deeper than the limit of {max_depth} levels")
    if "\\u0000" in text.lower() or "\x00" in text:
        raise BadRequest("the JSON holds a NUL character (\\u0000), which no field accepts")
    return json.loads(text)


class BoundedIntConverter(IntegerConverter):
    """``<int:...>``: ASCII digits up to MAX_INT (else the URL matches nothing: 404)."""

    regex = r"[0-9]+"

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs["max"] = min(kwargs.get("max") or MAX_INT, MAX_INT)
        super().__init__(map, *args, **kwargs)


def refuse_control() -> None:
    """before_request hook: 404 for a path argument holding a control character (after
    routing, so the API still answers in JSON); 400 naming the first query or form
    parameter holding a NUL."""
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and CONTROL.search(value):
            abort(404)
    for where, values in (("query", request.args), ("form", request.form)):
        for name, value in values.items(multi=True):
            if "\x00" in name or "\x00" in value:
                abort(400, f"the {where} parameter {name!r} holds a NUL character")


def init_app(app: Flask) -> None:
    """Install the converter (before any blueprint adds a rule) and the control check."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(refuse_control)


def local_path(target: str | None) -> str | None:
    """The target when it is a path on this site, else None: no scheme, no host, no `//` or
    backslash (browsers read both as another host), no control character (CR/LF would split
    the Location header). The one rule for every `next` a redirect follows."""
    if not target or CONTROL.search(target) or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
