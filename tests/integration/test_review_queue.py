"""The chief's plan review queue and the loop around it: the queue's order and scope, the
decision beside the department's scores, reds and strategies, the comment on the officer's
home, resubmission, the confirmation before an approved plan reopens, the audit trail, and
a past period's strategies as they stood then (issue 10 item 4)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from cxprogram.core import audit
from cxprogram.metrics.models import MetricDefinition, Observation
from cxprogram.models import AuditEvent, PlanReview
from cxprogram.review import services
from cxprogram.review.models import ReviewState
from cxprogram.strategies.models import StrategyStatus
from tests.integration.test_strategies import make_strategy, post, sign_in

PERIOD = "FY2023-Q1"
QUEUE = "/review/plans"


def plan_url(code: str, label: str = PERIOD) -> str:
    """The plan page of a department and period."""
    return f"/departments/{code}/plan/{label}"


@pytest.fixture
def org(
    db_session: Any, make_department: Any, make_user: Any, make_metrics: Any, make_period: Any
) -> dict[str, Any]:
    """VA (with an on-track strategy), DMV and IRS; FY2022-Q4 closed, FY2023-Q1 open;
    a chief, officers of VA and DMV, a viewer of everything, a viewer of DMV, an admin."""
    make_metrics()
    va, dmv, irs = (make_department(c) for c in ("VA", "DMV", "IRS"))
    strategy = make_strategy(va, status=StrategyStatus.ON_TRACK, progress=40)
    db_session.add(strategy)
    closed = make_period("FY2022-Q4", closed=True)
    period = make_period(PERIOD)
    db_session.flush()
    return {
        "va": va, "dmv": dmv, "irs": irs, "strategy": strategy, "period": period,
        "closed": closed, "chief": make_user("chief"),
        "officer": make_user("officer", departments=("VA",)),
        "dmv_officer": make_user("officer", departments=("DMV",)),
        "viewer": make_user("viewer"), "dmv_viewer": make_user("viewer", departments=("DMV",)),
        "admin": make_user("admin"),
    }  # fmt: skip


def _client(app: Any, user: Any) -> Any:
    client = app.test_client()
    sign_in(client, user.email)
    return client


def _submit_at(org: dict[str, Any], dept: Any, when: datetime, actor: Any = None) -> PlanReview:
    review = services.submit_plan(dept, org["period"], actor or org["chief"])
    review.submitted_at = when
    return review


def _review(db_session: Any, dept: Any, period: Any) -> PlanReview | None:
    db_session.expire_all()
    return db_session.scalars(
        select(PlanReview).where(
            PlanReview.department_id == dept.id, PlanReview.period_id == period.id
        )
    ).one_or_none()


def _actions(db_session: Any) -> list[str]:
    query = select(AuditEvent.action).where(AuditEvent.entity_type == "plan_review")
    return list(db_session.scalars(query.order_by(AuditEvent.id)))


def test_queue_lists_submitted_plans_oldest_first(
    app: Any, org: dict[str, Any], db_session: Any
) -> None:
    _submit_at(org, org["va"], datetime(2023, 1, 20, 9, 0, tzinfo=UTC))
    _submit_at(org, org["dmv"], datetime(2023, 1, 12, 9, 0, tzinfo=UTC))
    _submit_at(org, org["irs"], datetime(2023, 1, 5, 9, 0, tzinfo=UTC))
    services.approve_plan(org["irs"], org["period"], org["chief"])  # decided: not in the queue
    db_session.flush()
    chief = _client(app, org["chief"])
    page = chief.get(QUEUE).get_data(as_text=True)  # no ?period: the current one
    assert "Plan review queue, FY2023-Q1" in page
    dmv, va = page.index("Review DMV's plan"), page.index("Review VA's plan")
    assert dmv < va, "oldest submission first"
    assert "Review IRS" not in page
    assert "2023-01-12 09:00" in page and "2023-01-20 09:00" in page
    assert "2 plans wait for a decision; 1 approved, 0 with changes requested" in page
    assert f'href="{plan_url("DMV")}"' in page
    # The same table as CSV, in the same order; the URL's period is the state.
    response = chief.get(QUEUE + ".csv?period=FY2023-Q1")
    assert response.mimetype == "text/csv"
    assert 'filename="review-queue-FY2023-Q1.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["department"] for r in rows] == ["DMV", "VA"]
    assert rows[0]["submitted_at_utc"] == "2023-01-12T09:00:00+00:00"
    assert rows[1]["strategies"] == "1"  # VA's plan kept its one strategy
    # Another period has its own queue.
    other = chief.get(QUEUE + "?period=FY2022-Q4").get_data(as_text=True)
    assert "No plan of FY2022-Q4 waits for a decision" in other
    assert "Review VA" not in other


def test_queue_permissions(app: Any, client: Any, org: dict[str, Any], db_session: Any) -> None:
    _submit_at(org, org["va"], datetime(2023, 1, 20, tzinfo=UTC))
    _submit_at(org, org["dmv"], datetime(2023, 1, 21, tzinfo=UTC))
    db_session.flush()
    anonymous = client.get(QUEUE)
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/sign-in")
    for role in ("officer", "admin"):
        assert _client(app, org[role]).get(QUEUE).status_code == 403, role
        assert _client(app, org[role]).get(QUEUE + ".csv").status_code == 403, role
    viewer = _client(app, org["viewer"]).get(QUEUE).get_data(as_text=True)
    assert "Open VA's plan" in viewer and "Open DMV's plan" in viewer
    assert "Review VA" not in viewer  # viewers read the queue; only the chief decides
    dmv_viewer = _client(app, org["dmv_viewer"]).get(QUEUE).get_data(as_text=True)
    assert "Open DMV's plan" in dmv_viewer and "VA's plan" not in dmv_viewer
    csv_text = _client(app, org["dmv_viewer"]).get(QUEUE + ".csv").get_data(as_text=True)
    assert "DMV" in csv_text and "\nVA," not in csv_text
    # The nav and the chief's home lead to the queue.
    chief = _client(app, org["chief"])
    home = chief.get("/").get_data(as_text=True)
    assert "Plans waiting for your decision:</strong> 2." in home
    assert 'href="/review/plans?period=FY2023-Q1"' in home
    assert ">Review queue<" in home
    assert ">Review queue<" not in _client(app, org["officer"]).get("/").get_data(as_text=True)


def _red(db_session: Any, org: dict[str, Any], note: str) -> None:
    metric = db_session.scalars(
        select(MetricDefinition).where(MetricDefinition.code == "satisfaction")
    ).one()
    metric.target, metric.tolerance = 4.0, 0.2
    db_session.add(Observation(department_id=org["va"].id, metric_id=metric.id,
                               period_id=org["period"].id, value=3.1, n=250,
                               note=note))  # fmt: skip
    db_session.flush()


def test_the_decision_loop(app: Any, org: dict[str, Any], db_session: Any) -> None:
    """Submit, ask for changes (a comment is required), the officer reads the comment on
    the home page and resubmits, the chief approves; every step audited and dated."""
    _red(db_session, org, "Two call centres closed for a storm in November.")
    officer, chief = _client(app, org["officer"]), _client(app, org["chief"])
    assert post(officer, plan_url("VA") + "/submit", {}).status_code == 302
    page = chief.get(plan_url("VA")).get_data(as_text=True)
    # Beside the decision: the scores against targets, the reds with their notes.
    assert "Your decision" in page and "Scores against targets" in page
    assert "3.1" in page and "≥ 4 (tolerance 0.2)" in page and "✗ </span>red" in page
    assert "Two call centres closed for a storm in November." in page
    assert "from 1 observations" in page and "computed" in page
    assert "As submitted on" in page and "Call-back instead of hold" in page
    refused = post(chief, plan_url("VA") + "/decide", {"decision": "request_changes"})
    assert refused.status_code == 409 and "a comment is required" in refused.get_data(as_text=True)
    assert _actions(db_session) == ["submit"]
    comment = "Add a milestone for the evaluation of the call-back pilot."
    asked = post(chief, plan_url("VA") + "/decide",
                 {"decision": "request_changes", "comment": comment})  # fmt: skip
    assert asked.status_code == 302 and asked.headers["Location"].endswith(plan_url("VA"))
    home = officer.get("/").get_data(as_text=True)
    assert comment in home, "the officer's home shows the chief's comment itself"
    assert "Change and resubmit the plan of VA for FY2023-Q1" in home
    plan = officer.get(plan_url("VA")).get_data(as_text=True)
    assert comment in plan and "Resubmit the plan for review" in plan
    assert post(officer, plan_url("VA") + "/submit", {}).status_code == 302
    approved = post(chief, plan_url("VA") + "/decide", {"decision": "approve", "comment": "Good."})
    assert approved.status_code == 302
    review = _review(db_session, org["va"], org["period"])
    assert review is not None and review.state == ReviewState.APPROVED
    events = db_session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "plan_review").order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in events] == ["submit", "request_changes", "submit", "approve"]
    assert [e.after["state"] for e in events] == [
        "submitted", "changes_requested", "submitted", "approved",
    ]  # fmt: skip
    assert events[1].after["comment"] == comment
    assert all(e.occurred_at is not None and e.actor_id for e in events)
    assert events[0].after["strategies"][0]["title"] == "Call-back instead of hold"
    history = officer.get(plan_url("VA")).get_data(as_text=True)
    section = history[history.index("Review history") :]
    assert section.count("<tr>") == 5  # the header and the four steps
    assert "request changes" in section and comment in section


def test_an_approved_plan_reopens_only_after_confirmation(
    app: Any, org: dict[str, Any], db_session: Any
) -> None:
    services.submit_plan(org["va"], org["period"], org["officer"])
    services.approve_plan(org["va"], org["period"], org["chief"], "Fine.")
    db_session.flush()
    officer = _client(app, org["officer"])
    page = officer.get(plan_url("VA")).get_data(as_text=True)
    assert "Reopen and resubmit the approved plan…" in page
    assert "Submit the plan for review" not in page  # no one-click resubmission
    one_click = post(officer, plan_url("VA") + "/submit", {})
    assert one_click.status_code == 409
    assert "Yes, reopen and resubmit the plan" in one_click.get_data(as_text=True)
    assert _review(db_session, org["va"], org["period"]).state == ReviewState.APPROVED  # type: ignore[union-attr]
    assert _actions(db_session) == ["submit", "approve"]
    confirm = officer.get(plan_url("VA") + "/reopen")
    assert confirm.status_code == 200
    assert 'name="confirm_reopen" type="hidden" value="yes"' in confirm.get_data(as_text=True)
    reopened = post(officer, plan_url("VA") + "/submit", {"confirm_reopen": "yes"})
    assert reopened.status_code == 302
    assert _review(db_session, org["va"], org["period"]).state == ReviewState.SUBMITTED  # type: ignore[union-attr]
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "reopen")).one()
    assert (event.before["state"], event.after["state"]) == ("approved", "submitted")
    assert event.reason == "reopened the approved plan (confirmed)"
    # Other departments' officers and viewers get no confirmation page.
    assert _client(app, org["dmv_officer"]).get(plan_url("VA") + "/reopen").status_code == 403
    assert _client(app, org["viewer"]).get(plan_url("VA") + "/reopen").status_code == 403


def test_forms_without_a_csrf_token_are_refused(
    app: Any, org: dict[str, Any], db_session: Any
) -> None:
    services.submit_plan(org["dmv"], org["period"], org["chief"])
    db_session.flush()
    officer, chief = _client(app, org["officer"]), _client(app, org["chief"])
    assert officer.post(plan_url("VA") + "/submit", data={}).status_code == 400
    assert chief.post(plan_url("DMV") + "/decide", data={"decision": "approve"}).status_code == 400
    assert _review(db_session, org["va"], org["period"]) is None
    assert _review(db_session, org["dmv"], org["period"]).state == ReviewState.SUBMITTED  # type: ignore[union-attr]


def test_a_submitted_plan_shows_its_strategies_as_submitted(
    app: Any, org: dict[str, Any], db_session: Any
) -> None:
    strategy = org["strategy"]
    services.submit_plan(org["va"], org["period"], org["officer"])
    strategy.status, strategy.progress = StrategyStatus.OFF_TRACK, 5  # the chief edits later
    db_session.flush()
    page = _client(app, org["chief"]).get(plan_url("VA")).get_data(as_text=True)
    table = page[page.index("Strategies in this plan") : page.index("Review history")]
    assert "on track" in table and "40%" in table
    assert "off track" not in table and "5%" not in table


def test_a_past_period_plan_shows_strategies_as_they_stood_then(
    app: Any, org: dict[str, Any], db_session: Any
) -> None:
    """FY2022-Q4 (closed, ended 2022-09-30): the strategy was at risk at 30% then, and is
    on track at 40% now; the plan of that period shows it as it stood then."""
    strategy, chief = org["strategy"], org["chief"]
    for at, before, after in [
        (datetime(2022, 8, 1, tzinfo=UTC), None, {"title": "Call-back pilot", "status":
         "not_started", "progress": 0}),
        (datetime(2022, 9, 15, tzinfo=UTC), {"status": "not_started", "progress": 0},
         {"status": "at_risk", "progress": 30}),
        (datetime(2023, 2, 1, tzinfo=UTC), {"title": "Call-back pilot", "status": "at_risk",
         "progress": 30}, {"title": strategy.title, "status": "on_track", "progress": 40}),
    ]:  # fmt: skip
        event = audit.record("update", "strategy", strategy.id, actor=chief, before=before,
                             after=after, department_id=org["va"].id)  # fmt: skip
        event.occurred_at = at
    db_session.flush()
    page = _client(app, org["officer"]).get(plan_url("VA", "FY2022-Q4")).get_data(as_text=True)
    table = page[page.index("Strategies in this plan") : page.index("Review history")]
    assert "As they stood at the end of FY2022-Q4 (2022-09-30)" in table
    assert "Call-back pilot" in table and "at risk" in table and "30%" in table
    assert "on track" not in table and "40%" not in table
    now = _client(app, org["officer"]).get(plan_url("VA")).get_data(as_text=True)
    assert "As they stand now" in now and "40%" in now  # the open period: as today


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (QUEUE + "?period=FY1999-Q9", 404),
        (QUEUE + "?period=" + "x" * 5000, 404),
        (QUEUE + "?period=%27%20OR%201=1", 404),
        (QUEUE + "?period=%00", 400),
        (QUEUE + ".csv?period=nope", 404),
        (plan_url("VA", "FY2040-Q1") + "/reopen", 404),
        (plan_url("NOPE") + "/reopen", 404),
    ],
)
def test_odd_input_is_never_a_500(
    app: Any, org: dict[str, Any], db_session: Any, path: str, status: int
) -> None:
    assert _client(app, org["chief"]).get(path).status_code == status


def test_odd_decisions_are_refused_without_a_500(
    app: Any, org: dict[str, Any], db_session: Any
) -> None:
    services.submit_plan(org["va"], org["period"], org["officer"])
    db_session.flush()
    chief = _client(app, org["chief"])
    for data in ({"decision": "delete"}, {"decision": "approve", "comment": "x" * 6000}, {}):
        assert post(chief, plan_url("VA") + "/decide", data).status_code == 409, data
    assert post(chief, plan_url("VA") + "/submit", {"confirm_reopen": "\u202e"}).status_code == 409
    assert _review(db_session, org["va"], org["period"]).state == ReviewState.SUBMITTED  # type: ignore[union-attr]
