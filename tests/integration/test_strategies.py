"""Strategies: create, read, edit, cancel; milestones and progress updates; permissions across
departments; validation messages; no lost updates between two editors; a readable history."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from cxprogram.metrics.models import Direction, Driver
from cxprogram.models import (
    AuditEvent,
    Channel,
    JourneyStage,
    MetricDefinition,
    Milestone,
    Strategy,
)
from cxprogram.strategies.models import StrategyDriver, StrategyStatus, StrategyTouchpoint
from tests.conftest import PASSWORD, csrf_token


def make_strategy(dept: Any, title: str = "Call-back instead of hold", **kw: Any) -> Strategy:
    """A strategy with one milestone due in the past and one in the future."""
    strategy = Strategy(department=dept, title=title, **kw)
    past, future = date.today() - timedelta(days=10), date.today() + timedelta(days=60)
    strategy.milestones.append(Milestone(title="Pick a vendor", due_date=past))
    strategy.milestones.append(Milestone(title="Roll out", due_date=future))
    return strategy


def sign_in(client: FlaskClient, email: str) -> None:
    """Sign a client in through the real form."""
    response = client.post(
        "/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 302


def post(client: FlaskClient, url: str, data: dict[str, Any], page: str | None = None) -> Any:
    """POST a form with the CSRF token of a page the client can open."""
    token = csrf_token(client, page or "/account/password")
    return client.post(url, data={**data, "csrf_token": token})


@pytest.fixture
def org(
    db_session: Any, make_metrics: Any, make_metric: Any, make_department: Any, make_period: Any
) -> dict[str, Any]:
    """VA and DMV, the vocabularies, the standard metrics, a DMV-owned metric, a period."""
    make_metrics()
    va, dmv = make_department("VA"), make_department("DMV")
    owned = make_metric("dmv_queue", "DMV queue length", owner_department_id=dmv.id)
    strategy = make_strategy(va)
    db_session.add(strategy)
    make_period("FY2023-Q1")
    db_session.flush()
    return {"va": va, "dmv": dmv, "owned": owned, "strategy": strategy}


def _metric(code: str) -> MetricDefinition:
    from cxprogram.extensions import db

    return db.session.scalars(select(MetricDefinition).where(MetricDefinition.code == code)).one()


def _form(**overrides: Any) -> dict[str, Any]:
    phone = _vocab(Channel, "phone")
    get_help = _vocab(JourneyStage, "get_help")
    data: dict[str, Any] = {
        "title": "Plain-language letters", "problem": "Letters confuse people.",
        "description": "Rewrite every letter.", "owner_name": "Letters team",
        "status": "on_track", "progress": "10", "start_date": "2023-01-01",
        "effective_date": "2023-03-01", "end_date": "2023-12-31",
        "drivers": ["ease", "transparency"], "touchpoints": [f"{phone.id}-{get_help.id}"],
        f"metric_{_metric('satisfaction').id}": "higher", "version": "0",
    }  # fmt: skip
    data.update(overrides)
    return data


def _vocab(model: Any, code: str) -> Any:
    from cxprogram.extensions import db

    return db.session.scalars(select(model).where(model.code == code)).one()


def _actions(db_session: Any, strategy: Strategy) -> list[str]:
    query = select(AuditEvent.action).where(
        AuditEvent.entity_type == "strategy", AuditEvent.entity_id == str(strategy.id)
    )
    return list(db_session.scalars(query))


def _count(model: Any) -> int:
    from cxprogram.extensions import db

    return int(db.session.scalar(select(func.count(model.id))) or 0)


def test_officer_creates_a_strategy_with_every_field(
    client: Any, make_user: Any, org: dict[str, Any], db_session: Any
) -> None:
    officer = make_user("officer", departments=("VA",))
    sign_in(client, officer.email)
    response = post(client, "/strategies/new/VA", _form(), "/strategies/new/VA")
    assert response.status_code == 302, response.get_data(as_text=True)
    strategy = db_session.scalars(
        select(Strategy).where(Strategy.title == "Plain-language letters")
    ).one()
    assert strategy.department_id == org["va"].id
    assert strategy.status == StrategyStatus.ON_TRACK and strategy.progress == 10
    assert strategy.effective_date == date(2023, 3, 1)
    assert {d.driver for d in strategy.drivers} == {Driver.EASE, Driver.TRANSPARENCY}
    assert [(t.channel.code, t.stage.code) for t in strategy.touchpoints] == [("phone", "get_help")]
    assert [(m.metric.code, m.expected_direction) for m in strategy.metric_links] == [
        ("satisfaction", Direction.HIGHER)
    ]
    event = db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.entity_type == "strategy", AuditEvent.entity_id == str(strategy.id)
        )
    ).one()
    assert (event.action, event.actor_id, event.after["title"]) == (
        "create",
        officer.id,
        "Plain-language letters",
    )
    page = client.get(f"/strategies/{strategy.id}").get_data(as_text=True)
    assert "Letters confuse people." in page and "Phone at Get help" in page


def test_edit_replaces_drivers_touchpoints_and_metrics(
    client: Any, make_user: Any, org: dict[str, Any], db_session: Any
) -> None:
    strategy = org["strategy"]
    strategy.drivers.append(StrategyDriver(driver=Driver.EASE))
    db_session.flush()
    sign_in(client, make_user("officer", departments=("VA",)).email)
    trust = _metric("trust")
    data = _form(title="Renamed", drivers=["ease", "trust"], touchpoints=[],
                 version=str(strategy.version), **{f"metric_{trust.id}": "lower"})  # fmt: skip
    response = post(client, f"/strategies/{strategy.id}/edit", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    db_session.refresh(strategy)
    assert strategy.title == "Renamed"
    assert sorted(d.driver.value for d in strategy.drivers) == ["ease", "trust"]
    assert strategy.touchpoints == []
    links = {m.metric.code: m.expected_direction.value for m in strategy.metric_links}
    assert links == {"satisfaction": "higher", "trust": "lower"}


def test_officer_gets_403_on_another_departments_strategies(
    client: Any, make_user: Any, org: dict[str, Any], db_session: Any
) -> None:
    sign_in(client, make_user("officer", departments=("DMV",)).email)
    strategy = org["strategy"]  # a VA strategy
    assert client.get(f"/strategies/{strategy.id}").status_code == 403  # SPEC 2: own only
    assert client.get(f"/strategies/{strategy.id}/edit").status_code == 403
    assert client.get("/strategies/new/VA").status_code == 403
    version = str(strategy.version)
    milestone = strategy.milestones[0]
    attempts = [
        ("/strategies/new/VA", _form()),
        (f"/strategies/{strategy.id}/edit", _form(version=version)),
        (f"/strategies/{strategy.id}/cancel", {"reason": "x", "version": version}),
        (f"/strategies/{strategy.id}/updates", {"commentary": "x", "version": version}),
        (f"/strategies/{strategy.id}/milestones", {"milestone_title": "x", "version": version}),
        (f"/strategies/{strategy.id}/milestones/{milestone.id}/done",
         {"done": "1", "version": version}),
    ]  # fmt: skip
    before = _count(AuditEvent)
    for url, data in attempts:
        assert post(client, url, data).status_code == 403, url
    db_session.refresh(strategy)
    assert strategy.title == "Call-back instead of hold" and not milestone.is_done
    assert _count(AuditEvent) == before


@pytest.mark.parametrize("role", ["viewer", "admin"])
def test_viewers_and_admins_cannot_write(
    client: Any, make_user: Any, org: dict[str, Any], role: str
) -> None:
    sign_in(client, make_user(role).email)
    strategy = org["strategy"]
    assert client.get(f"/strategies/{strategy.id}/edit").status_code == 403
    response = post(client, f"/strategies/{strategy.id}/updates",
                    {"commentary": "x", "version": str(strategy.version)})  # fmt: skip
    assert response.status_code == 403
    assert b"Edit strategy" not in client.get("/strategies").data


def test_reading_follows_department_grants(
    client: Any, make_user: Any, org: dict[str, Any], db_session: Any
) -> None:
    strategy = org["strategy"]
    sign_in(client, make_user("viewer", departments=("DMV",)).email)
    assert client.get(f"/strategies/{strategy.id}").status_code == 403
    assert client.get(f"/strategies/{strategy.id}/history").status_code == 403
    assert b"Call-back instead of hold" not in client.get("/strategies").data
    other = client.application.test_client()
    sign_in(other, make_user("viewer").email)  # no list: sees every department
    assert other.get(f"/strategies/{strategy.id}").status_code == 200
    assert b"Call-back instead of hold" in other.get("/strategies").data


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"end_date": "2022-12-01"}, "End date", "must not be before the start date"),
        ({"progress": "150"}, "Progress (%)", "whole number from 0 to 100"),
        ({"progress": "half"}, "Progress (%)", "whole number from 0 to 100"),
        ({"title": ""}, "Title", "Enter a title."),
        ({"effective_date": "2024-06-01"}, "Effective date", "must not be after the end date"),
        ({"start_date": "not a date"}, "Start date", "Not a valid date value"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    client: Any,
    make_user: Any,
    org: dict[str, Any],
    overrides: dict[str, str],
    field: str,
    message: str,
) -> None:
    sign_in(client, make_user("officer", departments=("VA",)).email)
    before = (_count(Strategy), _count(AuditEvent))
    response = post(client, "/strategies/new/VA", _form(**overrides))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "The strategy was not saved" in page
    assert f"{field}: " in page and message in page
    assert (_count(Strategy), _count(AuditEvent)) == before


def test_linking_another_departments_metric_is_refused(
    client: Any, make_user: Any, org: dict[str, Any]
) -> None:
    sign_in(client, make_user("officer", departments=("VA",)).email)
    before = _count(Strategy)
    response = post(client, "/strategies/new/VA", _form(**{f"metric_{org['owned'].id}": "lower"}))
    page = response.get_data(as_text=True)
    assert "Linked metric &#39;DMV queue length&#39; is owned by DMV" in page
    assert _count(Strategy) == before
    # DMV's own officer may link it.
    other = client.application.test_client()
    sign_in(other, make_user("officer", departments=("DMV",)).email)
    data = _form(**{f"metric_{org['owned'].id}": "lower"})
    assert post(other, "/strategies/new/DMV", data).status_code == 302
    assert _count(Strategy) == before + 1


def test_list_filters_by_department_status_driver_and_channel(
    client: Any, make_user: Any, org: dict[str, Any], db_session: Any
) -> None:
    phone = _vocab(Channel, "phone")
    web = _vocab(Channel, "web")
    stage = _vocab(JourneyStage, "apply")
    dmv_one = Strategy(department=org["dmv"], title="DMV web forms", status=StrategyStatus.AT_RISK)
    dmv_one.drivers.append(StrategyDriver(driver=Driver.EASE))
    dmv_one.touchpoints.append(StrategyTouchpoint(channel=web, stage=stage))
    va = org["strategy"]
    va.touchpoints.append(StrategyTouchpoint(channel=phone, stage=stage))
    db_session.add(dmv_one)
    db_session.flush()
    sign_in(client, make_user("chief").email)

    def titles(query: str) -> set[str]:
        page = client.get("/strategies" + query).get_data(as_text=True)
        return {t for t in ("DMV web forms", "Call-back instead of hold") if t in page}

    assert titles("") == {"DMV web forms", "Call-back instead of hold"}
    assert titles("?department=dmv") == {"DMV web forms"}
    assert titles("?status=at_risk") == {"DMV web forms"}
    assert titles("?status=not_started") == {"Call-back instead of hold"}
    assert titles("?driver=ease") == {"DMV web forms"}
    assert titles(f"?channel={phone.id}") == {"Call-back instead of hold"}
    assert titles("?driver=trust") == set()
    assert "New strategy for DMV" in client.get("/strategies?department=DMV").get_data(
        as_text=True
    )  # the chief gets a create button for the department filtered on


def test_second_editor_is_refused_and_sees_the_first_editors_save(
    app: Any, client: Any, make_user: Any, org: dict[str, Any], db_session: Any
) -> None:
    strategy = org["strategy"]
    url = f"/strategies/{strategy.id}/edit"
    sign_in(client, make_user("officer", departments=("VA",)).email)
    other = app.test_client()
    sign_in(other, make_user("chief").email)
    opened = str(strategy.version)  # both open the form at this version
    assert post(other, url, _form(title="Chief's title", version=opened)).status_code == 302
    conflict = post(client, url, _form(title="Officer's title", version=opened))
    assert conflict.status_code == 409
    page = conflict.get_data(as_text=True)
    assert "Someone else saved this strategy" in page
    assert "Title: Chief&#39;s title" in page  # theirs, shown
    assert 'value="Officer&#39;s title"' in page  # mine, kept in the form
    db_session.refresh(strategy)
    assert strategy.title == "Chief's title"
    # Saving again from the conflict page (it carries the new version) goes through.
    version = str(strategy.version)
    assert post(client, url, _form(title="Officer's title", version=version)).status_code == 302


def test_progress_update_sets_status_and_progress_and_reads_like_a_log(
    client: Any, make_user: Any, org: dict[str, Any], db_session: Any
) -> None:
    strategy = org["strategy"]
    sign_in(client, make_user("officer", departments=("VA",)).email)
    url = f"/strategies/{strategy.id}/updates"
    first = {"commentary": "Vendor chosen.", "update_status": "on_track", "update_progress": "30"}
    assert post(client, url, {**first, "version": str(strategy.version)}).status_code == 302
    db_session.refresh(strategy)
    assert (strategy.status, strategy.progress) == (StrategyStatus.ON_TRACK, 30)
    second = {"commentary": "Pilot slipped a month.", "update_status": "at_risk"}
    assert post(client, url, {**second, "version": str(strategy.version)}).status_code == 302
    db_session.refresh(strategy)
    assert (strategy.status, strategy.progress) == (StrategyStatus.AT_RISK, 30)
    page = client.get(f"/strategies/{strategy.id}").get_data(as_text=True)
    assert page.index("Pilot slipped a month.") < page.index("Vendor chosen.")  # newest first
    actions = _actions(db_session, strategy)
    assert actions.count("add_update") == 2


def test_bad_update_is_refused_with_a_message(
    client: Any, make_user: Any, org: dict[str, Any], db_session: Any
) -> None:
    strategy = org["strategy"]
    sign_in(client, make_user("officer", departments=("VA",)).email)
    url = f"/strategies/{strategy.id}/updates"
    data = {"commentary": "", "update_progress": "101", "version": str(strategy.version)}
    page = post(client, url, data).get_data(as_text=True)
    assert "the commentary is required" in page and "whole number from 0 to 100" in page
    assert strategy.updates == []


def test_stale_update_and_tick_are_refused_and_keep_the_typing(
    client: Any, make_user: Any, org: dict[str, Any], db_session: Any
) -> None:
    strategy = org["strategy"]
    sign_in(client, make_user("officer", departments=("VA",)).email)
    seen = str(strategy.version)
    milestone = strategy.milestones[0]
    tick = f"/strategies/{strategy.id}/milestones/{milestone.id}/done"
    assert post(client, tick, {"done": "1", "version": seen}).status_code == 302
    db_session.refresh(strategy)
    assert str(strategy.version) != seen  # ticking bumped the version
    response = post(client, f"/strategies/{strategy.id}/updates",
                    {"commentary": "Typed on a stale page.", "version": seen})  # fmt: skip
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Someone else changed this strategy" in page and "Typed on a stale page." in page
    other = strategy.milestones[1]
    stale_tick = f"/strategies/{strategy.id}/milestones/{other.id}/done"
    assert post(client, stale_tick, {"done": "1", "version": seen}).status_code == 409
    db_session.refresh(other)
    assert not other.is_done and strategy.updates == []


def test_milestones_add_tick_reopen_and_late_flag(
    client: Any, make_user: Any, org: dict[str, Any], db_session: Any
) -> None:
    strategy = org["strategy"]
    sign_in(client, make_user("officer", departments=("VA",)).email)
    page = client.get(f"/strategies/{strategy.id}").get_data(as_text=True)
    assert page.count('cx-status--late">late') == 1  # "Pick a vendor" is past due
    add = {"milestone_title": "Train staff", "milestone_due": "2020-01-01"}
    url = f"/strategies/{strategy.id}/milestones"
    assert post(client, url, {**add, "version": str(strategy.version)}).status_code == 302
    page = client.get(f"/strategies/{strategy.id}").get_data(as_text=True)
    assert "Train staff" in page and page.count('cx-status--late">late') == 2
    late = next(m for m in strategy.milestones if m.title == "Pick a vendor")
    tick = f"/strategies/{strategy.id}/milestones/{late.id}/done"
    db_session.refresh(strategy)
    assert post(client, tick, {"done": "1", "version": str(strategy.version)}).status_code == 302
    db_session.refresh(late)
    assert late.is_done and late.done_at is not None
    db_session.refresh(strategy)
    assert post(client, tick, {"done": "0", "version": str(strategy.version)}).status_code == 302
    db_session.refresh(late)
    assert not late.is_done
    actions = _actions(db_session, strategy)
    assert sorted(actions) == ["add_milestone", "complete_milestone", "reopen_milestone"]
    listing = client.get("/strategies").get_data(as_text=True)
    assert "1 of 3 done" not in listing and 'cx-status--late">late</span> (2)' in listing
    history = client.get(f"/strategies/{strategy.id}/history").get_data(as_text=True)
    assert f"marked the milestone “Pick a vendor” done on {date.today().isoformat()}." in history
    assert "reopened the milestone “Pick a vendor”." in history


def test_cancel_keeps_the_strategy_with_its_reason_and_locks_it(
    client: Any, make_user: Any, org: dict[str, Any], db_session: Any
) -> None:
    strategy = org["strategy"]
    sign_in(client, make_user("officer", departments=("VA",)).email)
    url = f"/strategies/{strategy.id}/cancel"
    empty = post(client, url, {"reason": " ", "version": str(strategy.version)})
    assert "Give the reason for cancelling." in empty.get_data(as_text=True)
    data = {"reason": "Budget moved to the web form.", "version": str(strategy.version)}
    assert post(client, url, data).status_code == 302
    db_session.refresh(strategy)
    assert strategy.status == StrategyStatus.CANCELLED
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "cancel")).one()
    assert event.reason == "Budget moved to the web form."
    assert event.before["status"] == "not_started" and event.after["status"] == "cancelled"
    assert "Cancelled: Budget moved" in client.get(f"/strategies/{strategy.id}").get_data(
        as_text=True
    )
    assert client.get(f"/strategies/{strategy.id}/edit").status_code == 403


def test_history_shows_who_when_and_before_after(
    client: Any, make_user: Any, org: dict[str, Any], db_session: Any
) -> None:
    strategy = org["strategy"]
    officer = make_user("officer", departments=("VA",))
    sign_in(client, officer.email)
    data = _form(title="Call-back for every line", status="at_risk", version=str(strategy.version))
    assert post(client, f"/strategies/{strategy.id}/edit", data).status_code == 302
    page = client.get(f"/strategies/{strategy.id}/history").get_data(as_text=True)
    assert f"{officer.name} changed the strategy." in page
    assert "Title from “Call-back instead of hold” to “Call-back for every line”" in page
    assert "Status from not started to at risk" in page
