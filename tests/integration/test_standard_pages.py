"""The service-standard pages under a service: list, create, edit, retire (admins only,
CSRF, refusals on the field, never a 500 on odd input)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from cxprogram.models import AuditEvent, ServiceStandard
from cxprogram.org.models import Service
from tests.conftest import csrf_token


def _post(client: Any, url: str, **data: Any) -> Any:
    data["csrf_token"] = csrf_token(client, "/account/password")
    return client.post(url, data=data)


def _setup(db_session: Any, make_department: Any, make_metrics: Any) -> tuple[Service, Any]:
    metric = make_metrics("within_standard")["within_standard"]
    service = Service(department=make_department("VA"), name="Benefits", provider="")
    db_session.add(service)
    db_session.commit()
    return service, metric


def test_admin_adds_edits_and_retires_a_standard(
    client: Any, login: Any, make_user: Any, db_session: Any, make_department: Any,
    make_metrics: Any,
) -> None:  # fmt: skip
    service, metric = _setup(db_session, make_department, make_metrics)
    login(make_user("admin").email)
    base = f"/admin/departments/VA/services/{service.id}/standards"
    assert "No standards yet" in client.get(base).get_data(as_text=True)
    form = client.get(f"{base}/new").get_data(as_text=True)
    assert "Within standard" in form and "up to 40 characters" in form
    made = _post(client, f"{base}/new", code="FINTRAC-CANAFE", text="Decide in 10 days",
                 metric=metric.code, target="85", channel="0")  # fmt: skip
    assert made.status_code == 302
    standard = db_session.scalars(select(ServiceStandard)).one()
    assert (standard.code, standard.target, standard.metric_id) == ("FINTRAC-CANAFE", 85.0,
                                                                     metric.id)  # fmt: skip
    listed = client.get(base).get_data(as_text=True)
    assert "FINTRAC-CANAFE" in listed and "Decide in 10 days" in listed
    refusals = [
        ({"code": "fintrac-canafe"}, "already a standard"),
        ({"target": "lots"}, "is not a number"),
        ({"target": "150"}, "outside the metric"),
        ({"metric": "0"}, "choose the metric"),
        ({"metric": "abc"}, ""),
    ]
    for change, reason in refusals:
        data = {"code": "OTHER", "text": "", "metric": metric.code, "target": "80",
                "channel": "0", **change}  # fmt: skip
        refused = _post(client, f"{base}/new", **data)
        assert refused.status_code in (200, 422) and reason in refused.get_data(as_text=True)
    edit = f"{base}/{standard.id}/edit"
    saved = _post(
        client,
        edit,
        code="FINTRAC-CANAFE",
        text="Decide in 7 days",
        metric=metric.code,
        target="90",
        channel="0",
        version=str(standard.version),
    )
    assert saved.status_code == 302
    stale = _post(client, edit, code="FINTRAC-CANAFE", text="Lost", metric=metric.code,
                  target="70", channel="0", version="1")  # fmt: skip
    assert stale.status_code == 409 and "Decide in 7 days" in stale.get_data(as_text=True)
    db_session.expire_all()
    retire = _post(client, f"{base}/{standard.id}/retire", version=str(standard.version))
    assert retire.status_code == 302
    db_session.expire_all()
    assert standard.is_retired and standard.target == 90.0
    assert "Retired" in client.get(base).get_data(as_text=True)
    actions = {e.action for e in db_session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "service_standard"))}  # fmt: skip
    assert actions == {"create", "update", "retire"}


def test_only_admins_and_never_without_csrf(
    client: Any, login: Any, make_user: Any, db_session: Any, make_department: Any,
    make_metrics: Any,
) -> None:  # fmt: skip
    service, metric = _setup(db_session, make_department, make_metrics)
    base = f"/admin/departments/VA/services/{service.id}/standards"
    login(make_user("officer", departments=("VA",)).email)
    assert client.get(base).status_code == 403
    assert _post(client, f"{base}/new", code="X-1", metric=metric.code,
                 target="80").status_code == 403  # fmt: skip


def test_no_csrf_no_standard_and_odd_ids_are_404(
    client: Any, login: Any, make_user: Any, db_session: Any, make_department: Any,
    make_metrics: Any,
) -> None:  # fmt: skip
    service, metric = _setup(db_session, make_department, make_metrics)
    base = f"/admin/departments/VA/services/{service.id}/standards"
    login(make_user("admin").email)
    no_csrf = client.post(f"{base}/new", data={"code": "X-1", "metric": metric.code,
                                               "target": "80"})  # fmt: skip
    assert no_csrf.status_code in (400, 200, 422)
    assert db_session.scalars(select(ServiceStandard)).all() == []
    assert (
        client.get(f"/admin/departments/VA/services/{service.id + 99}/standards").status_code == 404
    )
    assert client.get(f"{base}/999999/edit").status_code == 404
