"""The JSON API: bearer tokens only, the pages' permissions, the rollup document."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cxprogram.auth.tokens import create_token, revoke_token
from cxprogram.models import ApiToken


@pytest.fixture
def demo(runner: Any, db_session: Any) -> None:
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert runner.invoke(args=["rollup", "--all"]).exit_code == 0


def _get(client: Any, path: str, token: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get("/api/v1" + path, headers=headers)


def test_requests_without_a_valid_token_get_401(client: Any, demo: None) -> None:
    for path in ("/departments", "/rollups/FY2023-Q1", "/observations"):
        assert _get(client, path, None).status_code == 401
        response = _get(client, path, "cxp_not-a-real-token")
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.get_json()["status"] == 401


def test_a_signed_in_browser_session_is_not_enough(
    client: Any, login: Any, make_user: Any, demo: None
) -> None:
    login(make_user("chief").email)
    assert client.get("/").status_code == 200
    assert _get(client, "/departments", None).status_code == 401


def test_tokens_command_prints_a_working_token(
    runner: Any, client: Any, make_user: Any, demo: None
) -> None:
    user = make_user("chief")
    result = runner.invoke(args=["tokens", "create", "--email", user.email])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert token.startswith("cxp_")
    response = _get(client, "/departments", token)
    assert response.status_code == 200
    assert len(response.get_json()) == 18


def test_token_is_stored_hashed_and_can_be_revoked(
    client: Any, make_user: Any, db_session: Any, demo: None
) -> None:
    user = make_user("chief")
    token = create_token(user)
    stored = db_session.query(ApiToken).filter_by(user_id=user.id).one()
    assert token not in stored.token_hash and len(stored.token_hash) == 64
    assert _get(client, "/periods", token).status_code == 200
    revoke_token(stored, user, datetime.now(UTC))
    db_session.flush()
    assert _get(client, "/periods", token).status_code == 401


def test_listed_viewer_gets_403_on_another_department_and_sees_only_theirs(
    client: Any, make_user: Any, demo: None
) -> None:
    viewer = make_user("viewer", departments=("SBA",))
    token = create_token(viewer)
    assert _get(client, "/observations?department=VA", token).status_code == 403
    ok = _get(client, "/observations?department=SBA&period=FY2023-Q1", token).get_json()
    assert ok["total"] > 0 and {item["department"] for item in ok["items"]} == {"SBA"}
    assert [d["code"] for d in _get(client, "/departments", token).get_json()] == ["SBA"]
    rollup = _get(client, "/rollups/FY2023-Q1", token).get_json()
    assert set(rollup["metrics"]["satisfaction"]["departments"]) == {"SBA"}


def test_rollup_document_has_the_spec_shape_at_full_precision(
    client: Any, make_user: Any, demo: None
) -> None:
    token = create_token(make_user("officer", departments=("VA",)))
    body = _get(client, "/rollups/FY2023-Q1", token).get_json()
    assert body["period"] == "FY2023-Q1" and body["previous_period"] == "FY2022-Q4"
    assert set(body["snapshot"]) >= {"version", "computed_at", "inputs_hash"}
    sat = body["metrics"]["satisfaction"]
    for key in (
        "org_score",
        "weighting",
        "tolerance",
        "n_departments",
        "mean",
        "sd",
        "cv",
        "min",
        "max",
        "range",
        "iqr",
        "consistency",
        "departments",
        "decomposition",
    ):
        assert key in sat, key
    assert sat["departments"]["SBA"]["score"] == 1279 / 294  # full precision, not rounded
    assert set(sat["decomposition"]) >= {"delta", "rate", "mix", "departments"}
    effect = body["strategy_effects"][0]
    assert set(effect) >= {
        "strategy_id",
        "department",
        "metric",
        "effective_period",
        "pre",
        "post",
        "control_pre",
        "control_post",
        "effect",
        "weight",
        "contribution",
        "status",
    }


def test_unknown_period_and_bad_label(client: Any, make_user: Any, demo: None) -> None:
    token = create_token(make_user("chief"))
    unknown = _get(client, "/rollups/FY1999-Q1", token)
    assert unknown.status_code == 404
    assert unknown.get_json()["errors"][0]["reason"] == "No reporting period FY1999-Q1."
    assert _get(client, "/rollups/not-a-period", token).status_code == 400


def test_a_period_not_rolled_up_yet_says_so(client: Any, make_user: Any, runner: Any) -> None:
    assert runner.invoke(args=["demo"]).exit_code == 0
    answer = _get(client, "/rollups/FY2023-Q1", create_token(make_user("chief")))
    assert answer.status_code == 404
    assert "No rollup of FY2023-Q1 yet" in answer.get_json()["errors"][0]["reason"]


def test_openapi_document_is_public(client: Any) -> None:
    body = client.get("/api/v1/openapi.json").get_json()
    assert body["openapi"].startswith("3.")
    assert "/rollups/{period}" in body["paths"]


def test_openapi_documents_key_and_label(client: Any) -> None:
    """Observations carry the source's `key` and a `label` both ways, with their limits."""
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    posted = schemas["ObservationIn"]["properties"]
    assert posted["key"]["maxLength"] == 80 and posted["label"]["maxLength"] == 200
    assert posted["import_key"]["deprecated"] is True
    assert {"key", "label"} <= set(schemas["ObservationOut"]["required"])
