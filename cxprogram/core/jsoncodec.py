"""JSON for the documents the database stores (rollup snapshots, audit details): orjson.

The rollup document of a large organization is about half a megabyte; orjson encodes it in
a tenth of the standard library's time, with the same shortest round-trip form of every
float (full precision, SPEC 6). Keys that are not strings are written as strings, as the
standard library does.
"""

from __future__ import annotations

from typing import Any

import orjson


def dumps(value: Any) -> str:
    """The JSON text of value."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def loads(text: str | bytes) -> Any:
    """The value of a JSON text."""
    return orjson.loads(text)
