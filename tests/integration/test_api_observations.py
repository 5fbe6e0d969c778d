"""POST /api/v1/observations: the import's rules, all or nothing, 422 with an error per item,
401 without a token, 403 for viewers and across departments, 201 with counts, audited."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from cxprogram.auth.tokens import create_token
from cxprogram.metrics.models import Observation, Source
from cxprogram.models import AuditEvent

URL = "/api/v1/observations"


@pytest.fixture
def org(make_settings: Any, make_metrics: Any, make_department: Any, make_period: Any) -> None:
    make_settings()
    make_metrics()
    make_department("VA")
    make_department("DOS")
    make_period("FY2023-Q1")


def _post(client: Any, user: Any, body: Any) -> Any:
    return client.post(URL, json=body, headers={"Authorization": f"Bearer {create_token(user)}"})


def _item(**kw: Any) -> dict[str, Any]:
    return {"department": "VA", "metric": "satisfaction", "period": "FY2023-Q1", "value": 4.2,
            "n": 50, **kw}  # fmt: skip


def _count(db_session: Any) -> int:
    return int(db_session.scalar(select(func.count(Observation.id))))


def test_post_stores_all_items_with_source_api_and_audits(
    org: None, client: Any, make_user: Any, db_session: Any
) -> None:
    officer = make_user("officer", departments=("VA",))
    body = [_item(), _item(metric="trust", value=3.8, channel="web", note="phone queue")]
    response = _post(client, officer, body)
    assert response.status_code == 201, response.get_json()
    assert response.get_json() == {"added": 2, "changed": 0, "unchanged": 0, "periods_created": 0}
    rows = db_session.scalars(select(Observation).order_by(Observation.id)).all()
    assert [(o.metric.code, o.value, o.n, o.source) for o in rows] == [
        ("satisfaction", 4.2, 50.0, Source.API), ("trust", 3.8, 50.0, Source.API)
    ]  # fmt: skip
    assert rows[1].channel is not None and rows[1].note == "phone queue"
    assert rows[0].created_by_id == officer.id
    events = db_session.scalars(select(AuditEvent).where(AuditEvent.actor_id == officer.id))
    assert {(e.action, e.entity_id) for e in events} >= {
        ("api", "VA/FY2023-Q1"), ("create", "POST")
    }  # fmt: skip
    again = _post(client, officer, body)
    assert again.status_code == 201 and again.get_json()["unchanged"] == 2
    changed = _post(client, officer, [{k: v for k, v in _item(value=4.5).items() if k != "n"}])
    assert changed.get_json()["changed"] == 1
    db_session.expire_all()
    assert db_session.scalar(select(Observation.n).where(Observation.value == 4.5)) == 50.0


def test_422_names_every_bad_item_and_writes_nothing(
    org: None, client: Any, make_user: Any, db_session: Any
) -> None:
    chief = make_user("chief")
    body = [
        _item(),
        _item(department="NOPE"),
        _item(metric="trust", value=9),
        _item(metric="ease", period="2023-Q1"),
        _item(metric="employee", n=-1),
        _item(),
    ]
    response = _post(client, chief, body)
    assert response.status_code == 422
    errors = {(e["index"], e["field"]): e["reason"] for e in response.get_json()["errors"]}
    assert "unknown department 'NOPE'" in errors[(1, "department")]
    assert "outside the scale" in errors[(2, "value")]
    assert "FY2024-Q1" in errors[(3, "period")]
    assert "negative" in errors[(4, "n")]
    assert "repeats item 0" in errors[(5, "")]
    assert len(errors) == 5
    assert _count(db_session) == 0


def test_422_for_wrong_types_and_shapes(org: None, client: Any, make_user: Any) -> None:
    chief = make_user("chief")
    response = _post(client, chief, [_item(), _item(value="4.5"), {"department": "VA"}])
    assert response.status_code == 422
    fields = {(e["index"], e["field"]) for e in response.get_json()["errors"]}
    assert (1, "value") in fields and (2, "metric") in fields and (2, "period") in fields
    for body in ({"department": "VA"}, [], [_item(colour="red")]):
        assert _post(client, chief, body).status_code == 422, body
    nan = client.post(URL, data='[{"department": "VA", "metric": "ease", "period": "FY2023-Q1",'
                      ' "value": NaN}]', content_type="application/json",
                      headers={"Authorization": f"Bearer {create_token(chief)}"})  # fmt: skip
    assert nan.status_code == 422 and "not a number" in nan.get_json()["errors"][0]["reason"]
    text = client.post(URL, data="x", headers={"Authorization": f"Bearer {create_token(chief)}"})
    assert text.status_code == 415


def test_401_without_token_and_403_for_viewers_and_other_departments(
    org: None, client: Any, make_user: Any, login: Any, db_session: Any
) -> None:
    assert client.post(URL, json=[_item()]).status_code == 401
    viewer = make_user("viewer")
    assert _post(client, viewer, [_item()]).status_code == 403
    officer = make_user("officer", departments=("VA",))
    response = _post(client, officer, [_item(), _item(department="DOS")])
    assert response.status_code == 403
    assert [(e["index"], e["field"]) for e in response.get_json()["errors"]] == [(1, "department")]
    login(officer.email)  # a browser session does not open the API
    assert client.post(URL, json=[_item()]).status_code == 401
    assert _count(db_session) == 0


def test_get_observations_validates_its_query(org: None, client: Any, make_user: Any) -> None:
    token = create_token(make_user("chief"))
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(URL + "?page=0", headers=headers).status_code == 400
    assert client.get(URL + "?page_size=501", headers=headers).status_code == 400
    assert client.get(URL + "?page=10000000000000000000000", headers=headers).status_code == 400
    bad = client.get(URL + "?period=soon", headers=headers)
    assert bad.status_code == 400 and bad.get_json()["errors"][0]["field"] == "period"
    assert client.get(URL + "?page=2&page_size=5", headers=headers).get_json()["page"] == 2


def test_openapi_document_comes_from_the_validating_schemas(client: Any) -> None:
    body = client.get("/api/v1/openapi.json").get_json()
    assert body["openapi"] == "3.1.0"
    post = body["paths"]["/observations"]["post"]
    assert set(post["responses"]) >= {"201", "401", "403", "422"}
    item = body["components"]["schemas"]["ObservationIn"]
    assert item["required"] == ["department", "metric", "period", "value"]
    assert item["additionalProperties"] is False
    batch = body["components"]["schemas"]["ObservationBatch"]
    assert batch["minItems"] == 1 and batch["maxItems"] == 10_000


def test_key_and_label_round_trip_through_post_and_get(
    org: None, client: Any, make_user: Any, db_session: Any
) -> None:
    """POST takes `key` (or its former name `import_key`) and `label`; GET gives them back;
    an omitted label keeps the stored one; the limits are named in the refusals."""
    officer = make_user("officer", departments=("VA",))
    body = [_item(key="STD-1", label="Mail answered in 10 days"),
            _item(value=3.1, import_key="STD-2", label="Calls answered in 60 s")]  # fmt: skip
    response = _post(client, officer, body)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["added"] == 2
    headers = {"Authorization": f"Bearer {create_token(officer)}"}
    items = client.get(URL + "?department=VA", headers=headers).get_json()["items"]
    assert sorted((i["key"], i["label"], i["value"]) for i in items) == [
        ("STD-1", "Mail answered in 10 days", 4.2), ("STD-2", "Calls answered in 60 s", 3.1)
    ]  # fmt: skip
    assert all(i["note"] == "" for i in items)
    again = _post(client, officer, [_item(key="STD-1"), _item(value=3.1, key="STD-2")])
    assert again.get_json()["unchanged"] == 2, "an omitted label keeps the stored one"
    too_long = _post(client, officer, [_item(key="k" * 81), _item(label="x" * 201)])
    assert too_long.status_code == 422
    assert too_long.get_json()["errors"] == [
        {"index": 0, "field": "key",
         "reason": "longer than 80 characters, the limit of an observation's key"},
        {"index": 1, "field": "label",
         "reason": "longer than 200 characters, the limit of an observation's label"},
    ]  # fmt: skip
    assert _count(db_session) == 2
