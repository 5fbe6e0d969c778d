"""Editable vocabularies (issue 13, item 4): the administrator adds, renames, retires and
restores channels and journey stages; a retired one stays on the observations and services
that have it, is no longer offered in forms, and is refused on new observations (grid, file
import, API, the write service itself) and on new service links, with the row and the
reason and nothing written; imports name the terms by code or by name, whatever the case."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from cxprogram.auth.tokens import create_token
from cxprogram.imports.framework import apply_plan, plan_file
from cxprogram.imports.observations import observation_importer
from cxprogram.imports.services_import import ServiceImporter
from cxprogram.metrics.models import Observation, Source
from cxprogram.models import AuditEvent, Channel, JourneyStage, Service
from tests.conftest import csrf_token

PERIOD = "FY2024-Q1"
GRID = f"/departments/DMV/periods/{PERIOD}/entry"
RETIRED = (
    "the channel 'Fax' is retired: it stays on the records that have it, but new ones cannot "
    "use it (an administrator can restore it)"
)


@pytest.fixture
def org(
    db_session: Any, make_settings: Any, make_metrics: Any, make_department: Any,
    make_period: Any,
) -> dict[str, Any]:  # fmt: skip
    """DMV with a service offered on web and on a fax channel, retired after a value was
    stored on it."""
    make_settings()
    metrics = make_metrics()
    dmv = make_department("DMV")
    fax = Channel(code="fax", name="Fax")
    web = db_session.scalar(select(Channel).where(Channel.code == "web"))
    licences = Service(department=dmv, name="Licences")
    licences.channels.extend([web, fax])
    db_session.add_all([fax, licences])
    period = make_period(PERIOD)
    db_session.flush()
    old = Observation(department=dmv, metric=metrics["satisfaction"], period=period,
                      service=licences, channel=fax, value=4.0, n=10.0)  # fmt: skip
    db_session.add(old)
    fax.is_retired = True
    db_session.flush()
    return {"dept": dmv, "metrics": metrics, "service": licences, "fax": fax, "web": web,
            "period": period, "old": old}  # fmt: skip


def post(client: Any, path: str, data: dict[str, Any], form_path: str | None = None) -> Any:
    token = csrf_token(client, form_path or path)
    return client.post(path, data={"csrf_token": token, **data})


def count(db_session: Any, model: Any = Observation) -> int:
    db_session.expire_all()
    return int(db_session.scalar(select(func.count(model.id))) or 0)


def events(db_session: Any, entity: str) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.entity_type == entity).order_by(AuditEvent.id)
    return list(db_session.scalars(query))


# --- the administration pages ---


def test_admin_adds_renames_retires_and_restores_a_channel(
    client: Any, login: Any, make_user: Any, make_metrics: Any, db_session: Any
) -> None:
    make_metrics("satisfaction")
    login(make_user("admin").email)
    listing = client.get("/admin/vocabularies").get_data(as_text=True)
    assert "Channels" in listing and "Journey stages" in listing and "In person" in listing
    new = "/admin/vocabularies/channels/new"
    response = post(client, new, {"code": "", "name": "Fax line"})
    assert response.status_code == 302
    fax = db_session.scalar(select(Channel).where(Channel.code == "fax_line"))
    assert fax is not None and fax.name == "Fax line" and not fax.is_retired
    edit = f"/admin/vocabularies/channels/{fax.id}/edit"
    assert post(client, edit, {"name": "Fax", "version": str(fax.version)}).status_code == 302
    db_session.refresh(fax)
    assert (fax.code, fax.name) == ("fax_line", "Fax")  # the code files use stays
    retire = f"/admin/vocabularies/channels/{fax.id}/retire"
    assert post(client, retire, {"version": str(fax.version)}, edit).status_code == 302
    db_session.refresh(fax)
    assert fax.is_retired
    page = client.get("/admin/vocabularies").get_data(as_text=True)
    assert re.search(r'data-code="fax_line">\s*<th scope="row">Fax</th>.*?Retired', page, re.S)
    restore = f"/admin/vocabularies/channels/{fax.id}/restore"
    assert post(client, restore, {"version": str(fax.version)}, edit).status_code == 302
    db_session.refresh(fax)
    assert not fax.is_retired
    actions = [(e.action, e.after["name"]) for e in events(db_session, "channel")]
    assert actions == [("create", "Fax line"), ("update", "Fax"), ("retire", "Fax"),
                       ("restore", "Fax")]  # fmt: skip


def test_admin_adds_renames_and_retires_a_journey_stage(
    client: Any, login: Any, make_user: Any, make_metrics: Any, db_session: Any
) -> None:
    make_metrics("satisfaction")
    last = db_session.scalar(select(func.max(JourneyStage.position)))
    login(make_user("admin").email)
    new = "/admin/vocabularies/stages/new"
    assert post(client, new, {"code": "complain", "name": "Complain"}).status_code == 302
    stage = db_session.scalar(select(JourneyStage).where(JourneyStage.code == "complain"))
    assert stage.position == last + 1  # a new stage comes at the end of the journey
    edit = f"/admin/vocabularies/stages/{stage.id}/edit"
    data = {"name": "Complain or appeal", "version": str(stage.version)}
    assert post(client, edit, data).status_code == 302
    retire = f"/admin/vocabularies/stages/{stage.id}/retire"
    db_session.refresh(stage)
    assert post(client, retire, {"version": str(stage.version)}, edit).status_code == 302
    db_session.refresh(stage)
    assert (stage.name, stage.is_retired) == ("Complain or appeal", True)
    assert [e.action for e in events(db_session, "journey_stage")] == [
        "create", "update", "retire"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"code": "", "name": "in-person"}, "reads like &#39;In person&#39; (in_person)"),
        ({"code": "WEB", "name": "Website"}, "&#39;web&#39; reads like &#39;Web&#39; (web)"),
        ({"code": "", "name": ""}, "This field is required"),
        ({"code": "", "name": "Two\nlines"}, "must fit on one line"),
        ({"code": "", "name": "?!"}, "a code of 1 to 40 letters"),
    ],
)
def test_a_term_spelled_like_another_or_empty_is_refused(
    client: Any, login: Any, make_user: Any, make_metrics: Any, db_session: Any,
    data: dict[str, str], message: str,
) -> None:  # fmt: skip
    make_metrics("satisfaction")
    before = count(db_session, Channel)
    login(make_user("admin").email)
    response = post(client, "/admin/vocabularies/channels/new", data)
    assert response.status_code in (200, 422)
    assert message in response.get_data(as_text=True)
    assert count(db_session, Channel) == before


def test_a_stale_rename_is_refused_with_the_other_version_shown(
    client: Any, login: Any, make_user: Any, make_metrics: Any, db_session: Any
) -> None:
    make_metrics("satisfaction")
    chat = db_session.scalar(select(Channel).where(Channel.code == "chat"))
    seen = chat.version
    chat.name = "Live chat"  # someone else saved meanwhile
    db_session.flush()
    login(make_user("admin").email)
    edit = f"/admin/vocabularies/channels/{chat.id}/edit"
    response = post(client, edit, {"name": "Web chat", "version": str(seen)})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Someone else saved this channel while you were editing" in page
    assert "Name: Live chat" in page and 'value="Web chat"' in page
    db_session.refresh(chat)
    assert chat.name == "Live chat"


def test_only_administrators_manage_the_vocabularies(
    client: Any, login: Any, make_user: Any, make_metrics: Any, db_session: Any
) -> None:
    make_metrics("satisfaction")
    web = db_session.scalar(select(Channel).where(Channel.code == "web"))
    login(make_user("chief").email)
    assert client.get("/admin/vocabularies").status_code == 403
    assert client.get(f"/admin/vocabularies/channels/{web.id}/edit").status_code == 403
    response = client.post(f"/admin/vocabularies/channels/{web.id}/retire", data={"version": "1"})
    assert response.status_code in (400, 403)
    db_session.refresh(web)
    assert not web.is_retired


def test_odd_addresses_are_404_not_500(
    client: Any, login: Any, make_user: Any, make_metrics: Any
) -> None:
    make_metrics("satisfaction")
    login(make_user("admin").email)
    assert client.get("/admin/vocabularies/colours/new").status_code == 404
    assert client.get("/admin/vocabularies/channels/999999/edit").status_code == 404


# --- a retired channel: kept where it is, refused on new records ---


def test_a_retired_channel_stays_on_old_observations_and_on_the_service(
    client: Any, login: Any, make_user: Any, org: dict[str, Any], db_session: Any
) -> None:
    db_session.refresh(org["old"])
    assert org["old"].channel.code == "fax"
    login(make_user("officer", departments=("DMV",)).email)
    page = client.get(GRID).get_data(as_text=True)
    assert f'id="o{org["old"].id}-value"' in page  # the stored value's row is shown
    assert re.search(r'<option value="\d+">Fax</option>', page) is None  # not offered
    form = client.get(f"/departments/DMV/services/{org['service'].id}/edit")
    assert "Fax (retired)" in form.get_data(as_text=True)  # the service keeps it
    # Changing the stored value is allowed: it already has its channel.
    content = ("department,metric,period,value,n,service,channel\n"
               f"DMV,satisfaction,{PERIOD},4.5,10,Licences,fax\n")  # fmt: skip
    actor = make_user("officer", departments=("DMV",))
    plan = plan_file(observation_importer(), "obs.csv", content.encode(), actor, 1 << 20)
    assert plan.is_valid, [str(e) for e in plan.errors]
    assert apply_plan(observation_importer(), plan, actor)["changed"] == 1


def test_the_grid_refuses_a_new_value_on_a_retired_channel(
    client: Any, login: Any, make_user: Any, org: dict[str, Any], db_session: Any
) -> None:
    trust = org["metrics"]["trust"]
    login(make_user("officer", departments=("DMV",)).email)
    page = client.get(GRID).get_data(as_text=True)
    bad = f"n{trust.id}-{org['service'].id}-{org['fax'].id}"
    assert f'id="{bad}-value"' not in page  # no row is laid out for it
    before = (count(db_session), count(db_session, AuditEvent))
    data = {"row": [bad], f"{bad}-value": "4.2", f"{bad}-n": "10", f"{bad}-note": ""}
    response = post(client, GRID, data)
    assert response.status_code == 200
    assert f"Trust/confidence, Licences, Fax, channel: {RETIRED}".replace("'", "&#39;") in (
        response.get_data(as_text=True)
    )
    assert (count(db_session), count(db_session, AuditEvent)) == before


def test_the_file_import_refuses_a_new_observation_on_a_retired_channel(
    org: dict[str, Any], make_user: Any, db_session: Any
) -> None:
    content = ("department,metric,period,value,n,service,channel\n"
               f"DMV,trust,{PERIOD},4.2,10,Licences,web\n"
               f"DMV,trust,{PERIOD},4.0,10,Licences,FAX\n")  # fmt: skip
    actor = make_user("officer", departments=("DMV",))
    plan = plan_file(observation_importer(), "obs.csv", content.encode(), actor, 1 << 20)
    assert [(e.row, e.column, e.reason) for e in plan.errors] == [(3, "channel", RETIRED)]
    assert count(db_session) == 1


def test_the_api_refuses_a_new_observation_on_a_retired_channel(
    client: Any, org: dict[str, Any], make_user: Any, db_session: Any
) -> None:
    officer = make_user("officer", departments=("DMV",))
    body = [
        {"department": "DMV", "metric": "trust", "period": PERIOD, "value": 4.2,
         "service": "Licences", "channel": "web"},
        {"department": "DMV", "metric": "trust", "period": PERIOD, "value": 4.2,
         "service": "Licences", "channel": "Fax"},
    ]  # fmt: skip
    headers = {"Authorization": f"Bearer {create_token(officer)}"}
    response = client.post("/api/v1/observations", json=body, headers=headers)
    assert response.status_code == 422, response.get_json()
    [error] = response.get_json()["errors"]
    assert (error["index"], error["field"], error["reason"]) == (1, "channel", RETIRED)
    assert count(db_session) == 1


def test_the_write_service_refuses_it_whatever_plans_the_rows(
    org: dict[str, Any], db_session: Any
) -> None:
    from cxprogram.metrics.observation_payload import ObservationPayload, ObservationRow
    from cxprogram.metrics.observation_writes import RetiredChannelError, write_observations

    trust, licences = org["metrics"]["trust"], org["service"]
    row_key = (org["dept"].id, trust.id, PERIOD, licences.id, org["fax"].id, "", None, None)
    payload = ObservationPayload(adds=[ObservationRow(7, row_key, 4.0, 10.0, "", True)])
    with pytest.raises(RetiredChannelError, match=r"'Fax' is retired.*\(row 7\)"):
        write_observations(payload, None, Source.API)
    assert count(db_session) == 1


# --- service links ---


def test_a_new_link_to_a_retired_channel_is_refused_and_an_old_one_kept(
    org: dict[str, Any], make_department: Any, db_session: Any
) -> None:
    from cxprogram.org.services import RetiredTermError, set_links

    other = Service(department=org["dept"], name="Parking")
    db_session.add(other)
    db_session.flush()
    with pytest.raises(RetiredTermError, match="'Fax' is retired"):
        set_links(other, [org["web"], org["fax"]], None)
    set_links(org["service"], [org["web"], org["fax"]], None)  # it had fax: kept
    assert {c.code for c in org["service"].channels} == {"web", "fax"}


def test_the_admin_service_form_does_not_offer_a_retired_channel(
    client: Any, login: Any, make_user: Any, org: dict[str, Any], db_session: Any
) -> None:
    login(make_user("admin").email)
    page = client.get("/admin/departments/DMV/services/new").get_data(as_text=True)
    assert "Fax" not in page and "Web" in page
    data = {"name": "Parking", "description": "", "channels": [str(org["fax"].id)]}
    response = post(client, "/admin/departments/DMV/services/new", data)
    assert response.status_code in (200, 422)
    assert db_session.scalar(select(Service).where(Service.name == "Parking")) is None


def test_the_services_import_names_terms_by_code_or_name_and_refuses_retired_ones(
    org: dict[str, Any], make_user: Any, db_session: Any
) -> None:
    admin = make_user("admin")
    content = ("department,service,channels,journey_stages\n"
               "DMV,Licences,WEB;fax,Get help\n"  # keeps its fax link
               "DMV,Parking,In Person|fax,apply\n"  # a new link to fax: refused
               "DMV,Permits,in-person;Web,GET_HELP\n")  # fmt: skip
    plan = plan_file(ServiceImporter(), "services.csv", content.encode(), admin, 1 << 20)
    reason = RETIRED.replace("'Fax'", "'Fax'")
    assert [(e.row, e.column, e.reason) for e in plan.errors] == [(3, "channels", reason)]
    ok = "department,service,channels\nDMV,Permits,in-person;Web\nDMV,Licences,web;FAX\n"
    plan = plan_file(ServiceImporter(), "services.csv", ok.encode(), admin, 1 << 20)
    assert plan.is_valid, [str(e) for e in plan.errors]
    apply_plan(ServiceImporter(), plan, admin)
    permits = db_session.scalar(select(Service).where(Service.name == "Permits"))
    assert {c.code for c in permits.channels} == {"in_person", "web"}


def test_the_observations_import_names_a_channel_by_code_or_name(
    org: dict[str, Any], make_user: Any, db_session: Any, make_department: Any
) -> None:
    content = ("department,metric,period,value,n,channel\n"
               f"DMV,trust,{PERIOD},4.2,10,IN PERSON\n"
               f"DMV,ease,{PERIOD},4.1,10,in_person\n"
               f"DMV,efficiency,{PERIOD},4.0,10,Mail/paper\n")  # fmt: skip
    actor = make_user("officer", departments=("DMV",))
    plan = plan_file(observation_importer(), "obs.csv", content.encode(), actor, 1 << 20)
    assert plan.is_valid, [str(e) for e in plan.errors]
    apply_plan(observation_importer(), plan, actor)
    codes = db_session.scalars(
        select(Channel.code).join(Observation, Observation.channel_id == Channel.id)
        .where(Observation.source == Source.IMPORT)
    ).all()  # fmt: skip
    assert sorted(codes) == ["in_person", "in_person", "mail"]
