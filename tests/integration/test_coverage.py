"""Touchpoint coverage: the journey stage x channel matrix of active strategies, its gaps
(services offered, no strategy), filters in the query string, the CSV, and who sees which
departments (issue 10 item 5)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from sqlalchemy import select

from cxprogram.org.models import Channel, JourneyStage, Service
from cxprogram.strategies.models import Strategy, StrategyStatus, StrategyTouchpoint
from tests.integration.test_strategies import sign_in

PAGE = "/coverage"


@pytest.fixture
def org(db_session: Any, make_department: Any, make_user: Any, make_metrics: Any) -> dict[str, Any]:
    """VA: a phone line at "get help" with a call-back strategy, a web form at "apply" with
    none (a gap). DMV: a counter at "get help" whose strategy is done (a gap), an e-mail
    strategy at "wait" with no service, a mail-in service with no stage recorded."""
    make_metrics()
    channel = {c.code: c for c in db_session.scalars(select(Channel))}
    stage = {s.code: s for s in db_session.scalars(select(JourneyStage))}
    va, dmv = make_department("VA", "Veterans Affairs"), make_department("DMV", "Motor Vehicles")

    def service(dept: Any, name: str, chan: str, stage_code: str | None) -> None:
        stages = [stage[stage_code]] if stage_code else []
        db_session.add(Service(department=dept, name=name, channels=[channel[chan]],
                               journey_stages=stages))  # fmt: skip

    def strategy(dept: Any, title: str, status: StrategyStatus, chan: str, at: str) -> Strategy:
        s = Strategy(department=dept, title=title, status=status)
        s.touchpoints.append(StrategyTouchpoint(channel=channel[chan], stage=stage[at]))
        db_session.add(s)
        return s

    service(va, "Claims line", "phone", "get_help")
    service(va, "Online claim form", "web", "apply")
    service(dmv, "Licence counter", "in_person", "get_help")
    service(dmv, "Mail-in renewal", "mail", None)
    found = {
        "callback": strategy(va, "Call-back queue", StrategyStatus.ON_TRACK, "phone", "get_help"),
        "done": strategy(dmv, "Counter redesign", StrategyStatus.DONE, "in_person", "get_help"),
        "alerts": strategy(dmv, "=Status alerts", StrategyStatus.AT_RISK, "email", "wait"),
    }
    db_session.flush()
    users = {
        "chief": make_user("chief"), "officer": make_user("officer", departments=("VA",)),
        "viewer_dmv": make_user("viewer", departments=("DMV",)), "admin": make_user("admin"),
    }  # fmt: skip
    return {"va": va, "dmv": dmv, **found, **users}


def _get(app: Any, user: Any, path: str) -> Any:
    client = app.test_client()
    sign_in(client, user.email)
    return client.get(path)


def _cell(page: str, stage: str, column: int) -> str:
    """The text of one cell of the matrix: the stage's row, the column-th channel cell."""
    row = page[page.index(f'<tr><th scope="row">{stage}</th>') :]
    row = row[: row.index("</tr>")]
    return row.split("<td>")[column]


def test_matrix_shows_strategies_and_gaps(app: Any, org: dict[str, Any]) -> None:
    page = _get(app, org["chief"], PAGE).get_data(as_text=True)
    assert f'href="/strategies/{org["callback"].id}">VA: Call-back queue</a> (on track)' in page
    assert f'href="/strategies/{org["alerts"].id}">DMV: =Status alerts</a> (at risk)' in page
    assert "Counter redesign" not in page  # done: not an active strategy
    assert "2 touchpoints targeted by active strategies" in page
    assert "<strong>2 gaps</strong>" in page  # web at apply (VA), in person at get help (DMV)
    assert page.count("Gap: services, no strategy") == 3  # and mail, stage not recorded
    assert "Stage not recorded" in page
    # The gap is a word, not a colour; a covered cell names no gap.
    headers = page[page.index("<thead>") : page.index("</thead>")]
    names = [h.split("</th>")[0] for h in headers.split('<th scope="col">')[2:]]
    get_help = _cell(page, "Get help", names.index("In person") + 1)
    assert "Gap: services, no strategy" in get_help and "DMV</a> (1)" in get_help
    phone = _cell(page, "Get help", names.index("Phone") + 1)
    assert "Call-back queue" in phone and "Gap" not in phone
    assert "none" in _cell(page, "Awareness", names.index("Web") + 1)


def test_filters_live_in_the_query_string(app: Any, org: dict[str, Any]) -> None:
    chief = org["chief"]
    dmv = _get(app, chief, PAGE + "?department=dmv").get_data(as_text=True)
    assert "Status alerts" in dmv and "Call-back queue" not in dmv
    assert '<option value="DMV" selected>' in dmv
    assert 'href="/coverage.csv?department=DMV"' in dmv
    gaps = _get(app, chief, PAGE + "?show=gaps").get_data(as_text=True)
    assert "Call-back queue" not in gaps and "Gap: services, no strategy" in gaps
    phone = _get(app, chief, PAGE + "?channel=phone&stage=get_help").get_data(as_text=True)
    assert "Call-back queue" in phone and "Status alerts" not in phone
    thead = phone[phone.index("<thead>") : phone.index("</thead>")]
    assert thead.count('<th scope="col">') == 2  # the stage column and Phone
    for odd in ("?department=NOPE", "?show=everything", "?channel=%27;--", "?stage=x" * 300):
        assert _get(app, chief, PAGE + odd).status_code == 400, odd
    assert _get(app, chief, PAGE + "?department=%00").status_code == 400
    assert _get(app, chief, PAGE + "?department=").status_code == 200  # blank: no filter


def test_csv_of_the_matrix(app: Any, org: dict[str, Any]) -> None:
    response = _get(app, org["chief"], PAGE + ".csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    by_key = {(r["journey_stage"], r["channel"]): r for r in rows}
    assert by_key[("Get help", "Phone")]["strategy_titles"] == "VA: Call-back queue"
    assert by_key[("Get help", "In person")]["gap"] == "gap"
    assert by_key[("(not recorded)", "Mail/paper")]["gap"] == "gap"
    assert by_key[("Wait/delivery", "E-mail")]["strategy_titles"] == "DMV: =Status alerts"
    gaps = _get(app, org["chief"], PAGE + ".csv?show=gaps").get_data().decode("utf-8-sig")
    gap_rows = list(csv.DictReader(io.StringIO(gaps)))
    assert len(gap_rows) == 3 and all(r["gap"] == "gap" for r in gap_rows)


def test_who_sees_which_departments(app: Any, client: Any, org: dict[str, Any]) -> None:
    anonymous = client.get(PAGE)
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/sign-in")
    assert _get(app, org["admin"], PAGE).status_code == 403  # no special view of the data
    assert _get(app, org["admin"], PAGE + ".csv").status_code == 403
    officer = _get(app, org["officer"], PAGE).get_data(as_text=True)
    assert "Call-back queue" in officer
    assert "Status alerts" not in officer and "DMV" not in officer  # not published to them
    assert "Other departments' strategies and services are not shown" in officer
    assert _get(app, org["officer"], PAGE + "?department=DMV").status_code == 403
    assert "Status alerts" not in _get(app, org["officer"], PAGE + ".csv").get_data(as_text=True)
    viewer = _get(app, org["viewer_dmv"], PAGE).get_data(as_text=True)
    assert "Status alerts" in viewer and "Call-back queue" not in viewer
    chief = _get(app, org["chief"], PAGE).get_data(as_text=True)
    assert "are not shown" not in chief and ">Coverage<" in chief
