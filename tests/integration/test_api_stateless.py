"""The API is stateless and versioned (issue 17, item 3): it never reads or sets the session
cookie, records a token's use at most once a minute outside the request's transaction, and
refuses a stale `version` with a 409 naming the current version and values."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select, update

from cxprogram.auth.models import ApiToken, Role
from cxprogram.auth.services import create_user
from cxprogram.auth.tokens import create_token
from cxprogram.core.fiscal import parse_period
from cxprogram.extensions import db
from cxprogram.metrics import services as metric_services
from cxprogram.metrics.models import Observation
from cxprogram.org.models import Department
from cxprogram.org.services import ensure_settings
from tests.conftest import PASSWORD
from tests.integration.liveserver import live_server

URL = "/api/v1/observations"


def test_a_client_holding_a_page_cookie_still_has_its_token_honoured(
    app: Any, client: Any, make_user: Any, make_settings: Any
) -> None:
    make_settings()
    bearer = {"Authorization": f"Bearer {create_token(make_user('viewer'))}"}
    page = client.get("/sign-in")
    assert page.headers.get("Set-Cookie"), "the sign-in page sets a session cookie"
    response = client.get("/api/v1/departments", headers=bearer)
    assert response.status_code == 200, response.get_json()
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")


def test_the_api_never_signs_in_a_browser_session(
    app: Any, client: Any, login: Any, make_user: Any, make_settings: Any
) -> None:
    make_settings()
    user = make_user("chief")
    assert login(user.email).status_code == 302
    assert client.get("/api/v1/departments").status_code == 401  # the cookie is not read


def test_against_a_real_server_a_cookie_keeping_client_is_never_locked_out(
    tmp_path: Path,
) -> None:
    with live_server(tmp_path) as live:
        with live.app.app_context():
            ensure_settings("Test org")
            user = create_user("api@example.test", "API", Role.VIEWER, PASSWORD, [])
            secret = create_token(user)
            db.session.commit()
        browser = requests.Session()  # keeps every cookie, as many HTTP clients do
        browser.headers["Authorization"] = f"Bearer {secret}"
        assert browser.get(f"{live.url}/sign-in", timeout=30).status_code == 200
        assert browser.cookies, "the page set a session cookie"
        answers = [browser.get(f"{live.url}/api/v1/periods", timeout=30) for _ in range(20)]
    assert [a.status_code for a in answers] == [200] * 20
    assert not [a for a in answers if "Set-Cookie" in a.headers]


def _last_use(db_session: Any, user: Any) -> Any:
    db_session.expire_all()
    return db_session.scalar(select(ApiToken.last_used_at).where(ApiToken.user_id == user.id))


def test_a_tokens_use_is_written_at_most_once_a_minute(
    app: Any, client: Any, make_user: Any, make_settings: Any, db_session: Any
) -> None:
    make_settings()
    user = make_user("viewer")
    bearer = {"Authorization": f"Bearer {create_token(user)}"}
    assert client.get("/api/v1/periods", headers=bearer).status_code == 200
    first = _last_use(db_session, user)
    assert first is not None
    assert client.get("/api/v1/metrics", headers=bearer).status_code == 200
    assert _last_use(db_session, user) == first  # the second read wrote nothing
    earlier = first - timedelta(minutes=2)
    db_session.execute(update(ApiToken).where(ApiToken.user_id == user.id)
                       .values(last_used_at=earlier))  # fmt: skip
    assert client.get("/api/v1/periods", headers=bearer).status_code == 200
    assert _last_use(db_session, user) > first  # a minute on, the use is recorded again


def test_against_a_real_server_a_use_is_recorded_outside_the_requests_transaction(
    tmp_path: Path,
) -> None:
    """A refused write (422, its transaction rolled back) still records the token's use."""
    with live_server(tmp_path) as live:
        with live.app.app_context():
            ensure_settings("Test org")
            user = create_user("chief@example.test", "Chief", Role.CHIEF, PASSWORD, [])
            secret = create_token(user)
            db.session.commit()
        response = requests.post(
            f"{live.url}/api/v1/observations", json=[{"department": "NOPE"}],
            headers={"Authorization": f"Bearer {secret}"}, timeout=30,
        )  # fmt: skip
        with live.app.app_context():
            used = db.session.scalar(select(ApiToken.last_used_at))
            db.session.remove()
    assert response.status_code == 422
    assert used is not None


ITEM = {"department": "VA", "metric": "satisfaction", "period": "FY2023-Q1"}


@pytest.fixture
def va(make_settings: Any, make_metrics: Any, make_department: Any, make_period: Any) -> None:
    make_settings()
    make_metrics("satisfaction")
    make_department("VA")
    make_period("FY2023-Q1")


def test_a_stale_version_gets_409_with_the_current_version_and_values(
    va: None, client: Any, make_user: Any, db_session: Any
) -> None:
    """An API write no longer overwrites a save made since it read the row (fault 4)."""
    bearer = {"Authorization": f"Bearer {create_token(make_user('officer', departments=('VA',)))}"}
    assert client.post(URL, json=[{**ITEM, "value": 4.0}], headers=bearer).status_code == 201
    [read] = client.get(URL, headers=bearer).get_json()["items"]
    assert read["version"] == 1
    mine = client.post(URL, json=[{**ITEM, "value": 4.6, "version": 1}], headers=bearer)
    assert mine.status_code == 201 and mine.get_json()["changed"] == 1
    late = client.post(URL, json=[{**ITEM, "value": 3.1, "note": "late", "version": 1}],
                       headers=bearer)  # fmt: skip
    assert late.status_code == 409
    body = late.get_json()
    assert body["errors"] == [{"index": 0, "field": "version", "reason": "version 1 is stale: "
                               "the observation is at version 2; nothing was written"}]  # fmt: skip
    [current] = body["current"]
    assert (current["version"], current["value"], current["note"]) == (2, 4.6, "")
    db_session.expire_all()
    [stored] = db_session.scalars(select(Observation)).all()
    assert (stored.value, stored.version) == (4.6, 2)
    unknown = client.post(URL, json=[{**ITEM, "period": "FY2023-Q1", "metric": "satisfaction",
                                      "value": 4.6, "version": 7}], headers=bearer)  # fmt: skip
    assert unknown.status_code == 409
    again = client.post(URL, json=[{**ITEM, "value": 3.1, "version": 2}], headers=bearer)
    assert again.status_code == 201 and again.get_json()["changed"] == 1  # a knowing overwrite


def test_against_a_real_server_the_second_of_two_writers_at_one_version_gets_409(
    tmp_path: Path,
) -> None:
    with live_server(tmp_path) as live:
        with live.app.app_context():
            ensure_settings("Test org")
            metric_services.ensure_standard_metrics()
            dept = Department(code="VA", name="Veterans")
            db.session.add(dept)
            metric_services.ensure_period(parse_period("FY2023-Q1"), 10)
            db.session.flush()
            user = create_user("o@example.test", "Officer", Role.OFFICER, PASSWORD, ["VA"])
            secret = create_token(user)
            db.session.commit()
        bearer = {"Authorization": f"Bearer {secret}"}
        base = f"{live.url}{URL}"
        first = requests.post(base, json=[{**ITEM, "value": 4.0}], headers=bearer, timeout=30)
        [read] = requests.get(base, headers=bearer, timeout=30).json()["items"]
        answers = [
            requests.post(base, json=[{**ITEM, "value": value, "version": read["version"]}],
                          headers=bearer, timeout=30)
            for value in (4.4, 2.2)
        ]  # fmt: skip
        [stored] = requests.get(base, headers=bearer, timeout=30).json()["items"]
    assert first.status_code == 201
    assert [a.status_code for a in answers] == [201, 409]
    assert answers[1].json()["current"] == [stored]
    assert (stored["value"], stored["version"]) == (4.4, 2)
