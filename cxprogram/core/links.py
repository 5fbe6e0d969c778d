"""Absolute links for e-mails, on BASE_URL only (never the Host header of a request)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app


def external_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of an endpoint on BASE_URL; works in requests, commands and jobs."""
    base = urlsplit(current_app.config["CX_BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme
    )
    return adapter.build(endpoint, values, force_external=True)
