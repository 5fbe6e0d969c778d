"""The grid of issue 12: rows laid out from the department's services and channels before
anyone types, A-11 records of one place as one group, values at the metric's precision and
stored in full, scales and n said as a person would, "Add a row" keeping what was typed, a
red service row inside a department score that is not red, the read-only grid for viewers
and chiefs, and a channel the service does not offer refused alike in the grid, the file
import and the API (row and reason, nothing written)."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from cxprogram.auth.tokens import create_token
from cxprogram.imports.framework import plan_file
from cxprogram.imports.observations import observation_importer
from cxprogram.metrics.models import Observation
from cxprogram.models import AuditEvent, Channel, Service
from tests.conftest import csrf_token

PERIOD = "FY2024-Q1"
URL = f"/departments/DMV/periods/{PERIOD}/entry"


@pytest.fixture
def org(
    db_session: Any, make_settings: Any, make_metrics: Any, make_department: Any,
    make_period: Any,
) -> dict[str, Any]:  # fmt: skip
    """DMV with one service on three channels (web, phone, in person) and an inactive one."""
    make_settings()
    metrics = make_metrics()
    dmv = make_department("DMV")
    channels = {c.code: c for c in db_session.scalars(select(Channel))}
    licences = Service(department=dmv, name="Licences")
    licences.channels.extend([channels["web"], channels["phone"], channels["in_person"]])
    old = Service(department=dmv, name="Old kiosk service", is_active=False)
    old.channels.append(channels["kiosk"])
    db_session.add_all([licences, old])
    period, previous = make_period(PERIOD), make_period("FY2023-Q4")
    db_session.flush()
    return {"dept": dmv, "metrics": metrics, "service": licences, "channels": channels,
            "period": period, "previous": previous}  # fmt: skip


def key(metric: Any, service: Any = None, channel: Any = None) -> str:
    return f"n{metric.id}-{service.id if service else 0}-{channel.id if channel else 0}"


def form_of(page: str) -> dict[str, Any]:
    """Every field of the grid's form as the page shows it (what a browser would send)."""
    data: dict[str, Any] = {"row": re.findall(r'name="row" value="([^"]+)"', page)}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)" value="([^"]*)"', page):
        if name != "row":
            data[name] = html.unescape(value)
    return data


def post(client: Any, data: dict[str, Any], path: str = URL) -> Any:
    return client.post(path, data={"csrf_token": csrf_token(client, path), **data})


def count(db_session: Any, model: Any = Observation) -> int:
    db_session.expire_all()
    return int(db_session.scalar(select(func.count(model.id))) or 0)


def test_rows_are_laid_out_for_every_service_and_channel_before_anyone_types(
    client: Any, login: Any, make_user: Any, org: dict[str, Any]
) -> None:
    login(make_user("officer", departments=("DMV",)).email)
    page = client.get(URL).get_data(as_text=True)
    licences, ch = org["service"], org["channels"]
    for metric in org["metrics"].values():
        assert f'for="{key(metric)}-value"' in page  # the department level
        for code in ("web", "phone", "in_person"):
            assert f'for="{key(metric, licences, ch[code])}-value"' in page
        assert f"Value, {metric.name}, Licences, Phone" in page
    assert "Old kiosk service" not in page.split("<fieldset")[0]  # inactive: no rows
    assert page.count('name="row"') == len(org["metrics"]) * 4  # 11 metrics x (1 + 3)
    sat = page.index('id="metric-' + str(org["metrics"]["satisfaction"].id) + '"')
    trust = page.index('id="metric-' + str(org["metrics"]["trust"].id) + '"')
    assert sat < page.index(f"{key(org['metrics']['satisfaction'], licences, ch['web'])}-value")
    assert page.index(f"{key(org['metrics']['satisfaction'], licences, ch['web'])}-value") < trust


def test_the_page_says_scale_precision_and_what_n_counts(
    client: Any, login: Any, make_user: Any, org: dict[str, Any], make_observation: Any
) -> None:
    m = org["metrics"]
    make_observation(org["dept"], m["satisfaction"], org["previous"], 4.26666666, n=30.0)
    make_observation(org["dept"], m["abandonment_rate"], org["period"], 12.345, n=400.0)
    make_observation(org["dept"], m["speed_of_answer"], org["period"], 61.6, n=900.0,
                     note="slow")  # fmt: skip
    login(make_user("officer", departments=("DMV",)).email)
    page = client.get(URL).get_data(as_text=True)
    assert "scale 1 to 5" in page and "scale 0 to 100 %" in page
    assert "scale 0 s or more, no upper limit" in page
    assert "1e+09" not in page and "1000000000" not in page
    assert "n counts respondents" in page and "n counts calls answered" in page
    assert "n counts open cases" in page
    assert "<td>4.27</td>" in page  # previous period, two decimals on a 1 to 5 scale
    assert 'value="12.3"' in page  # one decimal on a percent
    assert 'value="62"' in page  # whole seconds


def test_saving_a_rounded_value_keeps_every_stored_digit(
    client: Any, login: Any, make_user: Any, org: dict[str, Any], make_observation: Any,
    db_session: Any,
) -> None:  # fmt: skip
    sat = org["metrics"]["satisfaction"]
    obs = make_observation(org["dept"], sat, org["period"], 4.266666666, n=30.0)
    login(make_user("officer", departments=("DMV",)).email)
    data = form_of(client.get(URL).get_data(as_text=True))
    assert data[f"o{obs.id}-value"] == "4.27"
    assert post(client, data).status_code == 302  # nothing changed: nothing written
    db_session.expire_all()
    assert (obs.value, obs.version) == (4.266666666, 1)
    data[f"o{obs.id}-n"] = "45"  # only n changes: the value keeps its digits
    assert post(client, data).status_code == 302
    db_session.expire_all()
    assert (obs.value, obs.n, obs.version) == (4.266666666, 45.0, 2)
    data = form_of(client.get(URL).get_data(as_text=True))
    data[f"o{obs.id}-value"] = "4.123456"  # typed: stored as typed, in full
    assert post(client, data).status_code == 302
    db_session.expire_all()
    assert obs.value == 4.123456


def test_add_a_row_keeps_typed_values_and_writes_nothing(
    client: Any, login: Any, make_user: Any, org: dict[str, Any], db_session: Any
) -> None:
    login(make_user("officer", departments=("DMV",)).email)
    sat, web = org["metrics"]["satisfaction"], org["channels"]["web"]
    data = form_of(client.get(URL).get_data(as_text=True))
    data[f"{key(sat)}-value"] = "4.4"
    data[f"{key(sat)}-note"] = "typed, not saved"
    data.update({"action": "add", "add-metric": sat.id, "add-service": 0, "add-channel": web.id})
    response = post(client, data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'value="4.4"' in page and 'value="typed, not saved"' in page
    new = key(sat, None, web)
    assert f'id="{new}-value"' in page and "autofocus" in page  # the new row, focused
    assert count(db_session) == 0
    data = form_of(page)  # then Save: both rows land
    data[f"{new}-value"] = "4.1"
    assert post(client, data).status_code == 302
    assert count(db_session) == 2


def test_a_red_service_row_inside_a_green_department_needs_no_note(
    client: Any, login: Any, make_user: Any, org: dict[str, Any], db_session: Any
) -> None:
    login(make_user("officer", departments=("DMV",)).email)
    sat, licences, ch = org["metrics"]["satisfaction"], org["service"], org["channels"]
    data = form_of(client.get(URL).get_data(as_text=True))
    data[f"{key(sat)}-value"], data[f"{key(sat)}-n"] = "4.6", "900"
    data[f"{key(sat, licences, ch['phone'])}-value"] = "3.0"  # red on its own (target 4)
    data[f"{key(sat, licences, ch['phone'])}-n"] = "100"
    response = post(client, data)  # pooled: (4.6 x 900 + 3 x 100) / 1000 = 4.44, green
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    page = client.get(URL).get_data(as_text=True)
    assert "No note is due: the department&#39;s score on Satisfaction" in page
    assert "is 4.44 (green)" in page
    data = form_of(page)  # the department level drops: the pooled score turns red
    phone = next(k for k in data["row"] if data.get(f"{k}-value") == "3.00")
    dept_row = next(k for k in data["row"] if data.get(f"{k}-value") == "4.60")
    data[f"{dept_row}-value"] = "3.2"
    response = post(client, data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Nothing was saved: 1 cell to fix" in page
    assert ("the value is red against the target (4), and so is the department&#39;s pooled "
            "score (3.18): explain it in the note of this row") in page  # fmt: skip
    assert f'id="{dept_row}-note-error"' in page  # beside the cell it is about
    assert phone != dept_row


def test_viewers_read_the_grid_without_inputs_and_cannot_post(
    client: Any, login: Any, make_user: Any, org: dict[str, Any], make_observation: Any,
    db_session: Any,
) -> None:  # fmt: skip
    make_observation(org["dept"], org["metrics"]["satisfaction"], org["period"], 4.25, n=30.0)
    login(make_user("viewer").email)
    response = client.get(URL)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<h1 class="margin-top-4">Values: DMV, FY2024-Q1</h1>' in page
    assert "<td>4.25</td>" in page and "<td>30</td>" in page
    assert 'name="row"' not in page and ">Save</button>" not in page
    assert "Add a row" not in page and "Change the values" not in page
    sat = org["metrics"]["satisfaction"]
    data = {"row": [key(sat)], f"{key(sat)}-value": "1"}
    assert client.post(URL, data=data).status_code in (400, 403)
    assert count(db_session) == 1


def test_chiefs_open_the_grid_read_only_and_switch_to_editing(
    client: Any, login: Any, make_user: Any, org: dict[str, Any], db_session: Any
) -> None:
    login(make_user("chief").email)
    page = client.get(URL).get_data(as_text=True)
    assert 'name="row"' not in page and "Change the values of DMV" in page
    page = client.get(URL + "?edit=1").get_data(as_text=True)
    assert "Enter values: DMV" in page and 'name="row"' in page
    sat = org["metrics"]["satisfaction"]
    data = form_of(page)
    data[f"{key(sat)}-value"] = "4.5"
    response = post(client, data, URL + "?edit=1")
    assert response.status_code == 302 and response.headers["Location"].endswith("?edit=1")
    assert count(db_session) == 1


def test_grid_refuses_a_channel_the_service_does_not_offer(
    client: Any, login: Any, make_user: Any, org: dict[str, Any], db_session: Any
) -> None:
    login(make_user("officer", departments=("DMV",)).email)
    sat, licences, mail = org["metrics"]["satisfaction"], org["service"], org["channels"]["mail"]
    data = form_of(client.get(URL).get_data(as_text=True))
    data.update({"action": "add", "add-metric": sat.id, "add-service": licences.id,
                 "add-channel": mail.id})  # fmt: skip
    page = post(client, data).get_data(as_text=True)
    reason = ("the service &#39;Licences&#39; is not offered through the channel "
              "&#39;Mail/paper&#39;")  # fmt: skip
    assert f"Not added: {reason}" in page
    assert f'id="{key(sat, licences, mail)}-value"' not in page
    # A hand-made save of that row is refused too, naming the row and the reason.
    before = count(db_session, AuditEvent)
    bad = key(sat, licences, mail)
    data = {"row": [bad], f"{bad}-value": "4.2", f"{bad}-n": "10", f"{bad}-note": ""}
    response = post(client, data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Nothing was saved: 1 cell to fix" in page
    assert f"Satisfaction, Licences, Mail/paper, channel: {reason}" in page
    assert count(db_session) == 0 and count(db_session, AuditEvent) == before


IMPORT = "department,metric,period,value,n,service,channel,note\n"


def test_file_import_refuses_a_channel_the_service_does_not_offer(
    org: dict[str, Any], make_user: Any, db_session: Any
) -> None:
    content = IMPORT + (
        f"DMV,satisfaction,{PERIOD},4.2,10,Licences,web,\n"
        f"DMV,trust,{PERIOD},4.0,10,Licences,mail,\n"
    )
    actor = make_user("officer", departments=("DMV",))
    plan = plan_file(observation_importer(), "obs.csv", content.encode(), actor, 1 << 20)
    assert not plan.is_valid
    found = [(e.row, e.column, e.reason) for e in plan.errors]
    assert found == [(3, "channel", "the service 'Licences' is not offered through the channel "
                      "'mail': add the channel to the service first, or leave the channel "
                      "empty")]  # fmt: skip
    assert count(db_session) == 0


def test_api_refuses_a_channel_the_service_does_not_offer(
    client: Any, org: dict[str, Any], make_user: Any, db_session: Any
) -> None:
    officer = make_user("officer", departments=("DMV",))
    body = [
        {"department": "DMV", "metric": "satisfaction", "period": PERIOD, "value": 4.2,
         "service": "Licences", "channel": "phone"},
        {"department": "DMV", "metric": "satisfaction", "period": PERIOD, "value": 4.2,
         "service": "Licences", "channel": "kiosk"},
    ]  # fmt: skip
    headers = {"Authorization": f"Bearer {create_token(officer)}"}
    response = client.post("/api/v1/observations", json=body, headers=headers)
    assert response.status_code == 422, response.get_json()
    [error] = response.get_json()["errors"]
    assert (error["index"], error["field"]) == (1, "channel")
    assert "not offered through the channel 'kiosk'" in error["reason"]
    assert count(db_session) == 0


def test_the_write_service_refuses_it_whatever_plans_the_rows(
    org: dict[str, Any], make_user: Any, db_session: Any
) -> None:
    from cxprogram.metrics.models import Source
    from cxprogram.metrics.observation_payload import ObservationPayload, ObservationRow
    from cxprogram.metrics.observation_writes import ChannelNotOfferedError, write_observations

    sat, licences = org["metrics"]["satisfaction"], org["service"]
    row_key = (org["dept"].id, sat.id, PERIOD, licences.id, org["channels"]["chat"].id, "", None,
               None)  # fmt: skip
    payload = ObservationPayload(adds=[ObservationRow(7, row_key, 4.0, 10.0, "", True)])
    with pytest.raises(ChannelNotOfferedError, match=r"'Licences'.*'Chat'.*\(row 7\)"):
        write_observations(payload, None, Source.API)
    assert count(db_session) == 0


def test_a11_collections_of_one_place_show_as_one_group(
    client: Any, login: Any, make_user: Any, org: dict[str, Any], make_observation: Any
) -> None:
    sat, licences, web = org["metrics"]["satisfaction"], org["service"], org["channels"]["web"]
    for record, value in (("c-17", 4.1), ("c-18", 4.3)):
        make_observation(org["dept"], sat, org["period"], value, n=50.0, service=licences,
                         channel=web, import_key=record)  # fmt: skip
    login(make_user("officer", departments=("DMV",)).email)
    page = client.get(URL).get_data(as_text=True)
    assert "Licences, Web: 2 stored records (c-17, c-18)" in page
    assert "Value, Satisfaction, Licences, Web, record c-17" in page
    assert "Value, Satisfaction, Licences, Web, record c-18" in page
    assert f'for="{key(sat, licences, web)}-value"' not in page  # no look-alike empty row
    assert "department score 4.20" in page and "pooled over 2 rows" in page


def test_the_grid_shows_a_rows_label_and_its_key_in_the_details(
    client: Any, login: Any, make_user: Any, org: dict[str, Any], make_observation: Any
) -> None:
    """Issue 13 item 3: the label says what the row is; the source key is in its details."""
    sat, licences, web = org["metrics"]["satisfaction"], org["service"], org["channels"]["web"]
    phone = org["channels"]["phone"]
    obs = make_observation(org["dept"], sat, org["period"], 4.1, n=50.0, service=licences,
                           channel=web, import_key="STD-17")  # fmt: skip
    obs.label = "Licences renewed online within 2 days"
    for record, text in (("c-1", "First wave"), ("c-2", "")):
        make_observation(org["dept"], sat, org["period"], 4.0, n=10.0, service=licences,
                         channel=phone, import_key=record).label = text  # fmt: skip
    login(make_user("officer", departments=("DMV",)).email)
    page = client.get(URL).get_data(as_text=True)
    assert 'Licences, Web<span class="cx-grid__label">Licences renewed online within 2 days' in page
    assert '<summary>Details</summary>Source key: <span class="cx-grid__key">STD-17</span>' in page
    assert "Licences, Phone, </span>First wave" in page  # a record of a group by its label
    assert "Licences, Phone, </span>record c-2" in page  # else by its key
    assert obs.note == "", "the label is not the note"


def test_saving_a_labelled_row_in_the_grid_keeps_its_label(
    client: Any, login: Any, make_user: Any, org: dict[str, Any], make_observation: Any,
    db_session: Any,
) -> None:  # fmt: skip
    sat = org["metrics"]["satisfaction"]
    obs = make_observation(org["dept"], sat, org["period"], 4.5, n=30.0, import_key="STD-9")
    obs.label = "Answered within 2 days"
    db_session.flush()
    login(make_user("officer", departments=("DMV",)).email)
    data = form_of(client.get(URL).get_data(as_text=True))
    data[f"o{obs.id}-value"] = "4.6"
    assert post(client, data).status_code == 302
    db_session.expire_all()
    assert (obs.value, obs.label, obs.import_key) == (4.6, "Answered within 2 days", "STD-9")
