"""No input gets a 500: every rule of the URL map, every method, every role and signed out,
is sent a corpus of hostile values in its path arguments, its query parameters and its
form or JSON body, and no answer may be a 5xx.

The query and form parameters of each view are found by watching what it reads (a
recording MultiDict) on a first, well-formed request, so a page added later is walked
with its own parameters without anyone listing them here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import Rule

from cxprogram.auth.tokens import create_token
from cxprogram.core.permissions import Permission, permission_of
from cxprogram.strategies.models import Milestone
from tests.conftest import PASSWORD, csrf_token
from tests.integration import test_read_scope
from tests.integration.test_read_scope import PERIOD, World

scope_world = test_read_scope.world  # the fixture `world`: two departments' data

HOSTILE = (
    str(2**31), str(2**63), str(2**64), "-1", "²", "٣", "", " ", "\r\nSet-Cookie: x=1", "a\x00b",
    "x" * 10_000, "../../etc/passwd", "%2e%2e%2f%00", "1e400", "NaN",
)  # fmt: skip
# Each watched parameter alone gets the values a single filter has tripped on.
ALONE = (str(2**31), str(2**63), "-1", "²", " ", "a\x00b")
# Parameters a page might read only when another is set; the watched ones are added.
COMMON = (
    "department", "status", "driver", "channel", "q", "role", "state", "fiscal_year",
    "quarter", "start", "end", "next", "metric", "service", "period", "add", "page", "id",
)  # fmt: skip
WRITES = ("POST", "PUT", "PATCH", "DELETE")
DEEP = 100_000
ARGUMENT = re.compile(r"<(?:[^<>:]+:)?(\w+)>")
SEEN: set[str] = set()


class Recording(ImmutableMultiDict):  # type: ignore[type-arg]
    """Request args and form that note every parameter name a view asks for."""

    def __getitem__(self, key: Any) -> Any:
        SEEN.add(str(key))
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        SEEN.add(str(key))
        return super().__contains__(key)

    def getlist(self, key: Any, type: Any = None) -> list[Any]:  # noqa: A002
        SEEN.add(str(key))
        return super().getlist(key, type)


@dataclass(frozen=True)
class Caller:
    """One role's client (signed in through the form, or not at all) and API token."""

    role: str
    user: Any
    client: FlaskClient
    headers: dict[str, str]

    def reaches(self, permission: Permission) -> bool:
        """True when the declared permission lets this caller into the view."""
        if permission.is_public:
            return True
        if self.user is None:
            return False
        return not permission.roles or self.user.role in permission.roles


# 5xx answers that are the endpoint's meaning, not a failure: the tests' database is made
# by create_all, not migrated, so the readiness check rightly says it is not ready
DESIGNED = {("ops.readyz", 503)}


@dataclass
class Walk:
    """One caller's walk: the requests sent, and the 5xx answers by cause."""

    caller: Caller
    sent: int = 0
    failures: dict[str, list[str]] = field(default_factory=dict)

    def send(self, endpoint: str, method: str, url: str, **kw: Any) -> None:
        """One request; a 5xx (or an exception the app let escape) is noted."""
        self.sent += 1
        headers = self.caller.headers if url.startswith("/api/") else {}
        try:
            response = self.caller.client.open(url, method=method, headers=headers, **kw)
        except Exception as error:  # noqa: BLE001 - TESTING lets the app's exceptions out
            what = f"{type(error).__name__}: {error}"
        else:
            if response.status_code < 500 or (endpoint, response.status_code) in DESIGNED:
                return
            what = str(response.status_code)
        sent = kw.get("data") or kw.get("json") or ""
        if isinstance(sent, dict):
            sent = {k: v[:20] for k, v in sent.items() if k != "csrf_token"}
        example = f"{url[:100]} {repr(sent)[:100]}: {what[:160]}"
        self.failures.setdefault(f"{method} {endpoint} {what[:30]}", []).append(example)


def _valid(rule: Rule, name: str, world: World, extra: dict[str, Any]) -> str:
    """A well-formed value for a path argument, naming data of department A."""
    if name == "code" and rule.endpoint.startswith("metrics.") and "label" not in rule.arguments:
        return "satisfaction"  # /metrics/<code>/edit names a metric
    values = {
        "code": world.codes["A"], "strategy_id": world.strategy_ids["A"],
        "service_id": world.service_ids["A"], "label": PERIOD, "period": PERIOD,
        "dataset": "observations", "fmt": "csv", "kind": "observations",
        "filename": "uswds/css/uswds.min.css",
    } | extra  # fmt: skip
    return str(values.get(name, "1"))


def _path(rule: Rule, values: dict[str, str]) -> str:
    return ARGUMENT.sub(lambda m: quote(values[m.group(1)], safe=""), rule.rule)


def _methods(rule: Rule) -> list[str]:
    return sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})


def _watch(walk: Walk, endpoint: str, method: str, path: str, body: dict[str, str]) -> set[str]:
    """The parameter names the view reads on a well-formed request."""
    SEEN.clear()
    walk.send(endpoint, method, path, data=body or None)
    return set(SEEN) - {"csrf_token"}


def _queries(names: Iterable[str]) -> Iterator[str]:
    """Every hostile value in every parameter at once, then in each watched one alone."""
    names = sorted(names)
    for value in HOSTILE:
        yield urlencode(dict.fromkeys((*COMMON, *names), value))
    for name in names:
        for value in ALONE:
            yield urlencode({name: value})


def _walk_rule(walk: Walk, rule: Rule, valid: dict[str, str]) -> None:
    """Signed out, every rule (the converters and the sign-in redirect see the values);
    signed in, the rules the role's permission lets into the view."""
    permission = permission_of(walk.caller.client.application.view_functions[rule.endpoint])
    assert permission is not None
    inside = walk.caller.reaches(permission)
    if not inside and walk.caller.user is not None:
        return
    for method in _methods(rule):
        writes = method in WRITES
        token = {"csrf_token": walk.caller.headers.get("csrf", "")} if writes else {}
        for name in rule.arguments:
            for value in HOSTILE:
                walk.send(rule.endpoint, method, _path(rule, valid | {name: value}), data=token)
        path = _path(rule, valid)
        watched = _watch(walk, rule.endpoint, method, path, token) if inside else set()
        for query in _queries(watched):
            walk.send(rule.endpoint, method, f"{path}?{query}", data=token)
        if writes and inside:
            _walk_body(walk, rule.endpoint, method, path, token | dict.fromkeys(watched, ""))


def _walk_body(walk: Walk, endpoint: str, method: str, path: str, form: dict[str, str]) -> None:
    """Form fields (the watched ones and the common names), then JSON bodies."""
    names = (set(form) | set(COMMON)) - {"csrf_token"}
    for value in HOSTILE:
        walk.send(endpoint, method, path, data=form | dict.fromkeys(names, value))
    for deep in ("[" * DEEP + "]" * DEEP, '{"a":' * DEEP + "1" + "}" * DEEP):
        walk.send(endpoint, method, path, data=deep, content_type="application/json")
    if not path.startswith("/api/"):
        return
    for value in (*HOSTILE, 2**63, 2**70, -(2**63) - 1, 1e308, None, [], {}):
        item = dict.fromkeys(("department", "metric", "period", "value", "n", "note"), value)
        walk.send(endpoint, method, path, json=[item, value])
    nul = '[{"department": "\\u0000", "value": 1e999}]'
    walk.send(endpoint, method, path, data=nul, content_type="application/json")


def _caller(app: Flask, world: World, role: str) -> Caller:
    """A client signed out, or signed in as the role through the form, with its token."""
    client = app.test_client()
    if role == "signed_out":
        return Caller(role, None, client, {})
    user = world.users[role]
    response = client.post(
        "/sign-in",
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302, role
    headers = {"Authorization": f"Bearer {create_token(user)}"}
    return Caller(role, user, client, headers | {"csrf": csrf_token(client, "/")})


def _ordered(app: Flask) -> list[Rule]:
    """The URL map, signing out last (it ends the session the other requests use)."""
    return sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint == "auth.logout", r.rule))


@pytest.fixture
def milestone_id(scope_world: World, db_session: Any) -> int:
    milestone = Milestone(strategy_id=scope_world.strategy_ids["A"], title="Kiosk pilot")
    db_session.add(milestone)
    db_session.flush()
    return int(milestone.id)


@pytest.mark.parametrize("role", ["signed_out", "admin", "chief", "officer_a", "viewer_a"])
def test_no_input_gets_a_server_error(
    app: Flask,
    scope_world: World,
    milestone_id: int,
    monkeypatch: pytest.MonkeyPatch,
    role: str,
) -> None:
    world = scope_world
    caller = _caller(app, world, role)
    monkeypatch.setattr(app.request_class, "parameter_storage_class", Recording)
    extra = {"user_id": world.users["viewer_all"].id, "milestone_id": milestone_id}
    walk = Walk(caller)
    for rule in _ordered(app):
        valid = {n: _valid(rule, n, world, extra) for n in rule.arguments}
        _walk_rule(walk, rule, valid)
    report = [f"{len(v)} x {k}, e.g. {v[0]}" for k, v in sorted(walk.failures.items())]
    assert report == [], f"{role}: server errors from {len(report)} causes:\n" + "\n".join(report)
    assert walk.sent > 500, walk.sent  # the walk really ran
