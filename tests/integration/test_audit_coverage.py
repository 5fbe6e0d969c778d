"""Every state-changing endpoint writes an audit event in the same transaction as its change.

The first test walks the URL map: each route that accepts POST, PUT, PATCH or DELETE must
have a case in tests/integration/audit_cases/ or a reason in NOT_AUDITED. The second runs
every case against the real application and database.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from cxprogram.models import AuditEvent
from tests.conftest import csrf_token
from tests.integration.audit_cases import NOT_AUDITED, AuditCase, Ctx, all_cases

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
CASES = all_cases()


def test_every_state_changing_endpoint_has_an_audit_case(app: Flask) -> None:
    rules = app.url_map.iter_rules()
    writing = {rule.endpoint for rule in rules if WRITE_METHODS & (rule.methods or set())}
    covered = {case.endpoint for case in CASES} | set(NOT_AUDITED)
    assert sorted(writing - covered) == [], "state-changing endpoints without an audit case"
    assert sorted({c.endpoint for c in CASES} - writing) == [], "cases for unknown endpoints"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id or c.endpoint)
def test_endpoint_writes_an_audit_event(
    case: AuditCase,
    client: Any,
    login: Any,
    make_department: Any,
    make_user: Any,
    db_session: Any,
) -> None:
    for code in case.departments:
        make_department(code)
    user = make_user(case.role, departments=case.departments)
    ctx = Ctx(db_session, make_department, make_user, user, client)
    headers: dict[str, str] = {}
    if case.is_json:
        from cxprogram.auth.tokens import create_token

        headers["Authorization"] = f"Bearer {create_token(user)}"
    else:
        login(user.email)
    url, payload = case.build(ctx)
    db_session.flush()
    before = db_session.scalar(select(func.count(AuditEvent.id)))
    response = _send(client, case, url, payload, headers, ctx)
    assert response.status_code < 400, response.get_data(as_text=True)[:2000]
    db_session.expire_all()
    after = db_session.scalar(select(func.count(AuditEvent.id)))
    assert after > before, f"{case.endpoint} changed state without an audit event"


def _send(
    client: Any, case: AuditCase, url: str, payload: Any, headers: dict[str, str], ctx: Ctx
) -> Any:
    if case.is_json:
        return client.open(url, method=case.method, json=payload, headers=headers)
    data = dict(payload or {})
    data["csrf_token"] = csrf_token(client, "/account/password")
    if case.files is not None:
        data.update(case.files(ctx))
    return client.open(
        url, method=case.method, data=data, headers=headers, content_type="multipart/form-data"
    )
