"""Default deny: every endpoint declares who may use it, and the declarations hold."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Blueprint, Flask
from werkzeug.routing import Rule

from cxprogram.core.permissions import Permission, permission_of

# Expected access for GET of each page, by role; "public" pages are open to everybody.
MATRIX: dict[str, dict[str, int]] = {
    "/": {"admin": 200, "chief": 200, "officer": 200, "viewer": 200},
    "/departments": {"admin": 200, "chief": 200, "officer": 200, "viewer": 200},
    "/metrics": {"admin": 200, "chief": 200, "officer": 200, "viewer": 200},
    "/strategies": {"admin": 200, "chief": 200, "officer": 200, "viewer": 200},
    "/users": {"admin": 200, "chief": 403, "officer": 403, "viewer": 403},
    "/users/new": {"admin": 200, "chief": 403, "officer": 403, "viewer": 403},
    "/users/tokens": {"admin": 200, "chief": 403, "officer": 403, "viewer": 403},
    "/officers": {"admin": 200, "chief": 200, "officer": 200, "viewer": 200},
    "/account/tokens": {"admin": 200, "chief": 200, "officer": 200, "viewer": 200},
    "/account/password": {"admin": 200, "chief": 200, "officer": 200, "viewer": 200},
    "/periods": {"admin": 200, "chief": 200, "officer": 200, "viewer": 200},
    "/metrics/new": {"admin": 403, "chief": 200, "officer": 200, "viewer": 403},
    "/imports/": {"admin": 200, "chief": 200, "officer": 200, "viewer": 200},
    "/exports/": {"admin": 200, "chief": 200, "officer": 200, "viewer": 200},
    "/audit": {"admin": 403, "chief": 200, "officer": 403, "viewer": 403},
    "/audit/export.csv": {"admin": 403, "chief": 200, "officer": 403, "viewer": 403},
    "/admin/organization": {"admin": 200, "chief": 200, "officer": 403, "viewer": 403},
    "/admin/departments": {"admin": 200, "chief": 403, "officer": 403, "viewer": 403},
    "/admin/departments/new": {"admin": 200, "chief": 403, "officer": 403, "viewer": 403},
    "/admin/vocabularies": {"admin": 200, "chief": 403, "officer": 403, "viewer": 403},
    "/review/plans": {"admin": 403, "chief": 200, "officer": 403, "viewer": 200},
    "/review/plans.csv": {"admin": 403, "chief": 200, "officer": 403, "viewer": 200},
    "/coverage": {"admin": 403, "chief": 200, "officer": 200, "viewer": 200},
    "/coverage.csv": {"admin": 403, "chief": 200, "officer": 200, "viewer": 200},
    "/reports": {"admin": 403, "chief": 200, "officer": 200, "viewer": 200},
    "/dashboard": {"admin": 403, "chief": 200, "officer": 200, "viewer": 200},
    "/dashboard/method": {"admin": 200, "chief": 200, "officer": 200, "viewer": 200},
    "/tracker": {"admin": 403, "chief": 200, "officer": 403, "viewer": 200},
}


def get_rules(app: Flask) -> list[tuple[Rule, Permission]]:
    """Every rule of the URL map that answers GET, with its view's declared permission."""
    found = []
    for rule in app.url_map.iter_rules():
        if "GET" in (rule.methods or set()):
            permission = permission_of(app.view_functions[rule.endpoint])
            assert permission is not None, f"{rule.endpoint} declares no permission"
            found.append((rule, permission))
    return found


def test_every_endpoint_declares_a_permission(app: Flask) -> None:
    missing = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if permission_of(app.view_functions[rule.endpoint]) is None
    ]
    assert missing == [], f"endpoints without a declared permission: {missing}"


def test_undeclared_view_is_refused(app: Flask, database_url: str) -> None:
    """A view added without a declaration is refused (403), and the URL-map walk notices."""
    from cxprogram import create_app
    from tests.conftest import make_config

    fresh = create_app(make_config(database_url))
    bp = Blueprint("forgotten", __name__)

    @bp.route("/forgotten")
    def forgotten() -> str:
        return "secret"

    fresh.register_blueprint(bp)
    assert permission_of(fresh.view_functions["forgotten.forgotten"]) is None
    response = fresh.test_client().get("/forgotten")
    assert response.status_code == 403
    assert b"secret" not in response.data


def test_every_page_is_covered_by_the_matrix(app: Flask) -> None:
    """Each GET page is in the matrix, so the matrix test really walks them all."""
    pages = {
        rule.rule
        for rule, permission in get_rules(app)
        if not rule.arguments and not permission.is_public and not permission.needs_token
    }
    assert pages <= set(MATRIX), f"pages missing from MATRIX: {pages - set(MATRIX)}"


@pytest.mark.parametrize("path", sorted(MATRIX))
def test_signed_out_visitors_are_sent_to_sign_in(client: Any, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


@pytest.mark.parametrize("role", ["admin", "chief", "officer", "viewer"])
def test_role_by_endpoint_matrix(
    client: Any, login: Any, make_user: Any, make_department: Any, role: str
) -> None:
    make_department("DMV")
    user = make_user(role, departments=("DMV",) if role == "officer" else ())
    assert login(user.email).status_code == 302
    for path, expected in MATRIX.items():
        assert client.get(path).status_code == expected[role], (role, path)


def test_sign_in_page_is_public(client: Any) -> None:
    response = client.get("/sign-in")
    assert response.status_code == 200
    assert b"Sign in" in response.data


def test_static_assets_are_public_and_served_by_the_app(client: Any) -> None:
    for path in ("/static/uswds/css/uswds.min.css", "/static/uswds/js/uswds.min.js"):
        assert client.get(path).status_code == 200, path
