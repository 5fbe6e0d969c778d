"""Issue 12, item 5, the officer's steps in order: after a save the grid says what is left
(reds to explain, metrics missing, the plan to submit) with links; the grid saves progress
updates with the values, all or nothing; the plan goes to the chief with an optional cover
note (escaped, length limit named); the officer's home shows the chief's comment; a milestone
takes its real completion date; a progress update belongs to a reporting period. Every
refusal names the field and the reason and writes nothing."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from cxprogram.models import AuditEvent, Observation, PlanReview, Strategy
from cxprogram.review import services as review_services
from cxprogram.review.models import ReviewState
from cxprogram.review.progress import what_is_left
from cxprogram.review.queries import strategy_at
from cxprogram.strategies.models import StrategyStatus, StrategyUpdate
from tests.conftest import csrf_token
from tests.integration.test_strategies import make_strategy, post, sign_in

LABEL, CLOSED = "FY2024-Q1", "FY2023-Q4"
GRID = f"/departments/VA/periods/{LABEL}/entry"
PLAN = f"/departments/VA/plan/{LABEL}"


@pytest.fixture
def va(
    db_session: Any, make_metrics: Any, make_department: Any, make_period: Any, make_user: Any
) -> dict[str, Any]:
    """VA with an open strategy and a finished one, the open period and a closed one."""
    metrics = make_metrics("satisfaction", "trust", "speed_of_answer")
    va = make_department("VA")
    closed = make_period(CLOSED, closed=True)
    period = make_period(LABEL)
    strategy = make_strategy(va, status=StrategyStatus.ON_TRACK, progress=20)
    finished = make_strategy(va, "Old letters", status=StrategyStatus.DONE, progress=100)
    db_session.add_all([strategy, finished])
    db_session.flush()
    return {
        "va": va, "metrics": metrics, "period": period, "closed": closed,
        "strategy": strategy, "finished": finished,
        "officer": make_user("officer", departments=("VA",)), "chief": make_user("chief"),
    }  # fmt: skip


def _key(metric: Any) -> str:
    return f"n{metric.id}-0-0"


def _grid_post(client: Any, rows: dict[str, dict[str, str]], extra: dict[str, str]) -> Any:
    data: dict[str, Any] = {"csrf_token": csrf_token(client, GRID), "row": list(rows), **extra}
    for key, cells in rows.items():
        data.update({f"{key}-{name}": value for name, value in cells.items()})
    return client.post(GRID, data=data)


def _count(db_session: Any, model: Any) -> int:
    db_session.expire_all()
    return int(db_session.scalar(select(func.count(model.id))) or 0)


def _text(response: Any) -> str:
    """The page's words, tags dropped (no space left before punctuation)."""
    words = " ".join(
        html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split()
    )
    return re.sub(r" ([,.:;)])", r"\1", words)


def _update(strategy: Strategy, **fields: str) -> dict[str, str]:
    prefix = f"update-{strategy.id}"
    return {f"{prefix}-version": str(strategy.version),
            **{f"{prefix}-{k}": v for k, v in fields.items()}}  # fmt: skip


# What is left ------------------------------------------------------------------------------


def test_what_is_left_lists_reds_missing_metrics_and_the_plan(
    va: dict[str, Any], make_observation: Any
) -> None:
    sat, trust = va["metrics"]["satisfaction"], va["metrics"]["trust"]
    make_observation(va["va"], sat, va["period"], 3.0, n=50)  # red (target 4), no note
    left = what_is_left(va["va"], va["period"])
    assert [r.metric for r in left.reds] == ["Satisfaction"]
    assert [m.code for m in left.missing] == ["trust", "speed_of_answer"]
    assert left.plan_state == ReviewState.DRAFT and left.is_plan_due and not left.can_submit
    make_observation(va["va"], trust, va["period"], 4.5, n=50, note="")
    obs = make_observation(va["va"], sat, va["period"], 3.1, n=10, note="Outage.",
                           import_key="second")  # fmt: skip
    assert obs.note and what_is_left(va["va"], va["period"]).reds == []  # one note explains
    assert what_is_left(va["va"], va["period"]).can_submit


def test_grid_after_a_save_says_what_is_left_with_links(
    client: Any, va: dict[str, Any], db_session: Any
) -> None:
    sign_in(client, va["officer"].email)
    sat, trust = va["metrics"]["satisfaction"], va["metrics"]["trust"]
    rows = {_key(sat): {"value": "3.0", "n": "80", "note": "Phone outage in November."}}
    saved = _grid_post(client, rows, {})
    assert saved.status_code == 302
    page = client.get(saved.headers["Location"]).get_data(as_text=True)
    text = _text(client.get(GRID))
    assert f"What is left for {LABEL}" in text
    assert "Reds to explain: none." in text
    assert "Metrics without a value: 2: Trust/confidence, Average speed of answer." in text
    assert f'href="#{_key(trust)}-value">Trust/confidence</a>' in page
    assert 'href="#submit-plan">Submit the plan to the chief</a>' in page
    assert 'id="submit-plan"' in page and 'name="cover_note"' in page
    # A red without a note: linked to the note to write, and the plan waits for it.
    db_session.scalars(select(Observation)).one().note = ""
    db_session.flush()
    page = client.get(GRID).get_data(as_text=True)
    link = re.search(
        r'href="#([a-z0-9-]+)-note">Satisfaction</a> \(score 3\.00, target 4\.00\)', page
    )
    assert link is not None and f'id="{link.group(1)}-note"' in page  # the note it links to
    assert "It can be submitted once every red is explained." in _text(client.get(GRID))
    assert 'name="cover_note"' not in page


def test_grid_shows_no_steps_to_readers(client: Any, va: dict[str, Any], make_user: Any) -> None:
    sign_in(client, make_user("viewer").email)
    page = client.get(GRID).get_data(as_text=True)
    assert "What is left" not in page and "cover_note" not in page and "update-" not in page


# Progress updates saved with the grid -------------------------------------------------------


def test_grid_saves_values_and_a_progress_update_on_its_period(
    client: Any, va: dict[str, Any], db_session: Any
) -> None:
    sign_in(client, va["officer"].email)
    page = client.get(GRID).get_data(as_text=True)
    strategy, finished = va["strategy"], va["finished"]
    assert f'What happened<span class="usa-sr-only"> on {strategy.title}' in page
    assert f'name="update-{finished.id}-commentary"' not in page  # done: no update asked
    rows = {_key(va["metrics"]["trust"]): {"value": "4.4", "n": "90", "note": ""}}
    update = _update(strategy, commentary="Vendor chosen.", status="at_risk", progress="35")
    response = _grid_post(client, rows, update)
    assert response.status_code == 302
    flashed = _text(client.get(GRID))
    assert f"Saved 1 value for {LABEL}. Added 1 progress update for {LABEL}." in flashed
    db_session.refresh(strategy)
    note = db_session.scalars(select(StrategyUpdate)).one()
    assert (note.commentary, note.period_id) == ("Vendor chosen.", va["period"].id)
    assert (strategy.status, strategy.progress) == (StrategyStatus.AT_RISK, 35)
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "add_update")).one()
    assert event.after["period"] == LABEL
    shown = _text(client.get(f"/strategies/{strategy.id}"))
    assert f"progress 35% · for {LABEL} Vendor chosen." in shown
    history = _text(client.get(f"/strategies/{strategy.id}/history"))
    assert f"posted a progress update for {LABEL}: “Vendor chosen.”" in history


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"commentary": "", "progress": "50"}, "Write what happened: the commentary is required."),
        ({"commentary": "x", "progress": "150"}, "Progress must be a whole number from 0 to 100."),
        ({"commentary": "x", "status": "exploded"}, "New status: choose one from the list."),
    ],
)
def test_a_bad_update_on_the_grid_writes_nothing_and_keeps_the_typing(
    client: Any, va: dict[str, Any], db_session: Any, fields: dict[str, str], message: str
) -> None:
    sign_in(client, va["officer"].email)
    rows = {_key(va["metrics"]["trust"]): {"value": "4.4", "n": "90", "note": ""}}
    before = (_count(db_session, Observation), _count(db_session, AuditEvent))
    response = _grid_post(client, rows, _update(va["strategy"], **fields))
    assert response.status_code == 200
    text = _text(response)
    assert "Nothing was saved: a progress update to fix" in text
    assert f"{va['strategy'].title}: {message}" in text
    assert 'value="4.4"' in response.get_data(as_text=True)  # the typed value kept
    assert (_count(db_session, Observation), _count(db_session, AuditEvent)) == before
    assert _count(db_session, StrategyUpdate) == 0


def test_a_bad_cell_keeps_the_update_and_writes_neither(
    client: Any, va: dict[str, Any], db_session: Any
) -> None:
    sign_in(client, va["officer"].email)
    rows = {_key(va["metrics"]["trust"]): {"value": "nine", "n": "", "note": ""}}
    response = _grid_post(client, rows, _update(va["strategy"], commentary="Kept <b>typed</b>"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Nothing was saved: 1 cell to fix" in _text(response)
    assert "Kept &lt;b&gt;typed&lt;/b&gt;</textarea>" in page  # kept, escaped
    assert _count(db_session, StrategyUpdate) == 0 and _count(db_session, Observation) == 0


def test_a_stale_strategy_on_the_grid_writes_nothing(
    client: Any, va: dict[str, Any], db_session: Any
) -> None:
    sign_in(client, va["officer"].email)
    rows = {_key(va["metrics"]["trust"]): {"value": "4.4", "n": "90", "note": ""}}
    update = _update(va["strategy"], commentary="Mine.")
    update[f"update-{va['strategy'].id}-version"] = str(va["strategy"].version - 1 or 99)
    response = _grid_post(client, rows, update)
    assert response.status_code == 409
    assert "someone else changed one of the strategies" in _text(response)
    assert _count(db_session, StrategyUpdate) == 0 and _count(db_session, Observation) == 0


# The progress update's period on the strategy page ------------------------------------------


def test_strategy_page_update_defaults_to_the_current_period_and_refuses_a_closed_one(
    client: Any, va: dict[str, Any], db_session: Any
) -> None:
    strategy = va["strategy"]
    sign_in(client, va["officer"].email)
    page = client.get(f"/strategies/{strategy.id}").get_data(as_text=True)
    assert f'<option selected value="{LABEL}">{LABEL}</option>' in page
    assert f'value="{CLOSED}"' not in page  # closed periods are not offered
    url = f"/strategies/{strategy.id}/updates"
    refused = post(client, url, {"commentary": "Late note.", "update_period": CLOSED,
                                 "version": str(strategy.version)})  # fmt: skip
    assert refused.status_code == 200
    assert f"Reporting period: {CLOSED} is closed; choose an open period." in _text(refused)
    assert _count(db_session, StrategyUpdate) == 0
    unknown = post(client, url, {"commentary": "x", "update_period": "FY1999-Q9",
                                 "version": str(strategy.version)})  # fmt: skip
    assert "Reporting period: choose the period the update is about." in _text(unknown)
    ok = post(client, url, {"commentary": "On time.", "version": str(strategy.version)})
    assert ok.status_code == 302
    assert db_session.scalars(select(StrategyUpdate)).one().period_id == va["period"].id


# A milestone's completion date ---------------------------------------------------------------


def test_milestone_done_takes_today_by_default_or_the_date_given(
    client: Any, va: dict[str, Any], db_session: Any
) -> None:
    strategy = va["strategy"]
    first, second = strategy.milestones
    sign_in(client, va["officer"].email)
    page = client.get(f"/strategies/{strategy.id}").get_data(as_text=True)
    today = date.today().isoformat()
    assert f'id="done-on-{first.id}" name="done_on" value="{today}" max="{today}"' in page
    tick = f"/strategies/{strategy.id}/milestones/{first.id}/done"
    assert post(client, tick, {"done": "1", "version": str(strategy.version)}).status_code == 302
    db_session.refresh(first)
    assert first.is_done and first.done_on == date.today()
    db_session.refresh(strategy)
    earlier = date.today() - timedelta(days=12)
    tick = f"/strategies/{strategy.id}/milestones/{second.id}/done"
    data = {"done": "1", "done_on": earlier.isoformat(), "version": str(strategy.version)}
    assert post(client, tick, data).status_code == 302
    db_session.refresh(second)
    assert second.done_on == earlier and second.done_at is not None
    shown = _text(client.get(f"/strategies/{strategy.id}"))
    assert f"done on {earlier.isoformat()}" in shown
    event = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "complete_milestone").order_by(
            AuditEvent.id.desc())
    ).first()  # fmt: skip
    assert event is not None and event.after["done_on"] == earlier.isoformat()


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ((date.today() + timedelta(days=1)).isoformat(), "is in the future"),
        ("31/12/2023", "Done on: enter the date the milestone was done, as YYYY-MM-DD."),
    ],
)
def test_milestone_done_refuses_a_future_or_bad_date_and_writes_nothing(
    client: Any, va: dict[str, Any], db_session: Any, typed: str, message: str
) -> None:
    strategy = va["strategy"]
    milestone = strategy.milestones[0]
    sign_in(client, va["officer"].email)
    events = _count(db_session, AuditEvent)
    tick = f"/strategies/{strategy.id}/milestones/{milestone.id}/done"
    data = {"done": "1", "done_on": typed, "version": str(strategy.version)}
    response = post(client, tick, data)
    assert response.status_code == 200
    text = _text(response)
    assert "Done on:" in text and message in text
    assert f'value="{typed}"' in response.get_data(as_text=True)  # the typing kept
    db_session.refresh(milestone)
    assert not milestone.is_done and milestone.done_on is None
    assert _count(db_session, AuditEvent) == events


# The cover note -----------------------------------------------------------------------------


def test_cover_note_reaches_the_chief_escaped_and_stays_in_the_history(
    app: Any, client: Any, va: dict[str, Any], db_session: Any
) -> None:
    sign_in(client, va["officer"].email)
    note = "Reds explained <script>alert(1)</script> & the pilot is on track."
    response = post(client, PLAN + "/submit", {"cover_note": note}, PLAN)
    assert response.status_code == 302
    review = db_session.scalars(select(PlanReview)).one()
    assert review.cover_note == note and review.state == ReviewState.SUBMITTED
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "submit")).one()
    assert event.after["cover_note"] == note
    chief = app.test_client()
    sign_in(chief, va["chief"].email)
    escaped = html.escape(note, quote=False)
    for url in (PLAN, f"/review/plans?period={LABEL}"):
        page = chief.get(url).get_data(as_text=True)
        assert escaped in page.replace("&#39;", "'") and "<script>alert" not in page, url
    assert "Cover note from Test officer:" in _text(chief.get(PLAN))
    assert f"Cover note: {note}" in _text(chief.get(PLAN))  # the review history
    queue_csv = chief.get(f"/review/plans.csv?period={LABEL}").get_data(as_text=True)
    assert "cover_note" in queue_csv.splitlines()[0] and "pilot is on track" in queue_csv
    period_history = _text(chief.get(f"/departments/VA/periods/{LABEL}/history"))
    assert "with the cover note “Reds explained <script>alert(1)</script>" in period_history


def test_a_cover_note_over_the_limit_is_refused_naming_the_field_and_limit(
    client: Any, va: dict[str, Any], db_session: Any
) -> None:
    sign_in(client, va["officer"].email)
    events = _count(db_session, AuditEvent)
    long = "x" * (review_services.COVER_NOTE_LIMIT + 1)
    response = post(client, PLAN + "/submit", {"cover_note": long}, PLAN)
    assert response.status_code == 422
    text = _text(response)
    assert "Cover note to the chief: at most 2,000 characters (2,001 written)." in text
    assert f">{long}</textarea>" in response.get_data(as_text=True)  # the typing kept
    assert _count(db_session, PlanReview) == 0 and _count(db_session, AuditEvent) == events


def test_service_refuses_a_long_cover_note_before_any_write(
    va: dict[str, Any], db_session: Any
) -> None:
    with pytest.raises(review_services.CoverNoteInvalid, match="at most 2,000 characters"):
        review_services.submit_plan(va["va"], va["period"], va["officer"], cover_note="y" * 2001)
    assert _count(db_session, PlanReview) == 0


# The officer's home --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decision", "words"), [("approve", "approved the plan"), ("request_changes", "asked for")]
)
def test_officer_home_shows_the_chiefs_comment_with_the_decision(
    app: Any, client: Any, va: dict[str, Any], decision: str, words: str
) -> None:
    sign_in(client, va["officer"].email)
    assert post(client, PLAN + "/submit", {"cover_note": ""}, PLAN).status_code == 302
    chief = app.test_client()
    sign_in(chief, va["chief"].email)
    comment = "Add a <dated> milestone for the pilot."
    decided = post(chief, PLAN + "/decide", {"decision": decision, "comment": comment}, PLAN)
    assert decided.status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "Add a &lt;dated&gt; milestone for the pilot." in home
    assert f"The chief's comment: Test chief {words}" in _text(client.get("/"))


def test_a_past_plan_counts_a_milestone_by_its_real_completion_date(
    va: dict[str, Any], db_session: Any
) -> None:
    strategy = va["strategy"]
    first, second = strategy.milestones
    end = datetime.combine(va["closed"].end_date, time.max, tzinfo=UTC)
    first.is_done, first.done_on = True, va["closed"].end_date  # done in the period
    first.done_at = end + timedelta(days=40)  # recorded weeks later
    second.is_done, second.done_on = True, va["closed"].end_date + timedelta(days=1)
    second.done_at = end + timedelta(days=40)
    db_session.flush()
    assert strategy_at(strategy, end).milestones_done == 1


def test_an_overlong_update_on_the_grid_is_refused_with_the_limit(
    client: Any, va: dict[str, Any], db_session: Any
) -> None:
    sign_in(client, va["officer"].email)
    response = _grid_post(client, {}, _update(va["strategy"], commentary="z" * 10_001))
    assert "What happened: at most 10,000 characters." in _text(response)
    assert _count(db_session, StrategyUpdate) == 0
