"""Audit coverage: every state-changing endpoint must write an audit event.

Each feature adds a module here with a list `CASES` of AuditCase. `test_audit_coverage.py`
finds every route that accepts POST, PUT, PATCH or DELETE and fails when one has no case
(or is not listed in NOT_AUDITED with the reason), then runs every case: it signs the
role in, lets `build` prepare the data, sends the request with a CSRF token and checks that
the number of audit events grew and the response was not an error.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Ctx:
    """What a case's build function gets: the session, the factories and the acting user."""

    db_session: Any
    make_department: Callable[..., Any]
    make_user: Callable[..., Any]
    user: Any
    client: Any


@dataclass(frozen=True)
class AuditCase:
    """One state-changing request.

    build(ctx) returns (url, form data without csrf_token) for forms, or (url, json) when
    is_json; for API cases the test sends a bearer token of `ctx.user` instead of a cookie.
    `departments` are department codes created before the user, and assigned to the user.
    """

    endpoint: str
    role: str
    build: Callable[[Ctx], tuple[str, Any]]
    departments: tuple[str, ...] = ("DMV",)
    method: str = "POST"
    is_json: bool = False
    files: Callable[[Ctx], dict[str, Any]] | None = field(default=None)
    id: str = ""


# Endpoints that change state but are not audit events of the data, and why.
NOT_AUDITED: dict[str, str] = {
    "auth.login": "sign-in records its attempts in login_attempts, not in the data audit",
    "auth.logout": "signing out changes no data",
    "imports.upload_file": "keeps the file for its preview only; the confirmation is audited",
}


def all_cases() -> list[AuditCase]:
    """Every case of every module in this package."""
    cases: list[AuditCase] = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        cases.extend(getattr(module, "CASES", []))
    return cases
