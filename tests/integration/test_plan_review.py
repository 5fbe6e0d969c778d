"""The department plan for a period: the review state machine (submit, approve, request
changes), the lock on a submitted plan's strategies, the closed-period lock, and the rule
that a red without an explanation note blocks submission."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from cxprogram.metrics.models import MetricDefinition, Observation, PeriodState
from cxprogram.models import AuditEvent, PlanReview
from cxprogram.review import services
from cxprogram.review.models import ReviewState
from cxprogram.strategies.models import Strategy
from tests.integration.test_strategies import make_strategy, post, sign_in

PLAN = "/departments/VA/plan/FY2023-Q1"


@pytest.fixture
def plan(
    db_session: Any, make_department: Any, make_user: Any, make_metrics: Any, make_period: Any
) -> dict[str, Any]:
    """VA with a strategy, DMV, the open period FY2023-Q1, an officer of each and a chief."""
    make_metrics()
    va, dmv = make_department("VA"), make_department("DMV")
    strategy = make_strategy(va)
    db_session.add(strategy)
    make_period("FY2022-Q4", closed=True)
    period = make_period("FY2023-Q1")
    db_session.flush()
    return {
        "va": va, "dmv": dmv, "strategy": strategy, "period": period,
        "officer": make_user("officer", departments=("VA",)),
        "dmv_officer": make_user("officer", departments=("DMV",)),
        "chief": make_user("chief"),
    }  # fmt: skip


def _state(db_session: Any, plan: dict[str, Any]) -> str:
    review = db_session.scalars(
        select(PlanReview).where(
            PlanReview.department_id == plan["va"].id,
            PlanReview.period_id == plan["period"].id,
        )
    ).one_or_none()
    if review is not None:
        db_session.refresh(review)
    return review.state.value if review else "draft"


def _chief_client(app: Any, plan: dict[str, Any]) -> Any:
    chief = app.test_client()
    sign_in(chief, plan["chief"].email)
    return chief


def _red(db_session: Any, plan: dict[str, Any], note: str = "") -> Observation:
    metric = db_session.scalars(
        select(MetricDefinition).where(MetricDefinition.code == "satisfaction")
    ).one()
    metric.target, metric.tolerance = 4.0, 0.2
    obs = Observation(department_id=plan["va"].id, metric_id=metric.id,
                      period_id=plan["period"].id, value=3.1, n=100, note=note)  # fmt: skip
    db_session.add(obs)
    db_session.flush()
    return obs


def test_plan_page_shows_state_and_strategies(client: Any, plan: dict[str, Any]) -> None:
    sign_in(client, plan["officer"].email)
    assert client.get("/departments/VA/plan").headers["Location"].endswith(PLAN)
    page = client.get(PLAN).get_data(as_text=True)
    assert 'Review state: <span class="cx-plan-state">draft</span>' in page
    assert "Call-back instead of hold" in page and "Submit the plan for review" in page
    assert client.get("/departments/VA/plan/FY1999-Q1").status_code == 404
    assert 'href="/departments/VA/plan"' in client.get("/departments/VA").get_data(as_text=True)


def test_submit_locks_strategies_for_officers_until_the_chief_decides(
    app: Any, client: Any, plan: dict[str, Any], db_session: Any
) -> None:
    strategy = plan["strategy"]
    sign_in(client, plan["officer"].email)
    assert post(client, PLAN + "/submit", {}).status_code == 302
    assert _state(db_session, plan) == "submitted"
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "submit")).one()
    assert (event.before["state"], event.after["state"]) == ("draft", "submitted")
    assert (event.department_id, event.period_label) == (plan["va"].id, "FY2023-Q1")
    # Locked for the officer: every strategy write of VA is refused.
    version = str(strategy.version)
    for url, data in [
        (f"/strategies/{strategy.id}/updates", {"commentary": "x", "version": version}),
        (f"/strategies/{strategy.id}/milestones", {"milestone_title": "x", "version": version}),
        (f"/strategies/{strategy.id}/milestones/{strategy.milestones[0].id}/done",
         {"done": "1", "version": version}),
        (f"/strategies/{strategy.id}/cancel", {"reason": "x", "version": version}),
        ("/strategies/new/VA", {"title": "New", "status": "on_track", "progress": "0"}),
    ]:  # fmt: skip
        response = post(client, url, data)
        assert response.status_code == 403, url
        assert "submitted for review" in response.get_data(as_text=True)
    assert client.get(f"/strategies/{strategy.id}/edit").status_code == 403
    assert b"Add update" not in client.get(f"/strategies/{strategy.id}").data
    # The chief still edits, and asks for changes: the officer may edit again.
    chief = _chief_client(app, plan)
    update = {"commentary": "Chief's note.", "version": version}
    assert post(chief, f"/strategies/{strategy.id}/updates", update).status_code == 302
    decision = {"decision": "request_changes", "comment": "Add a milestone for training."}
    assert post(chief, PLAN + "/decide", decision).status_code == 302
    assert _state(db_session, plan) == "changes_requested"
    assert "Add a milestone for training." in client.get(PLAN).get_data(as_text=True)
    db_session.refresh(strategy)
    add = {"milestone_title": "Training", "version": str(strategy.version)}
    assert post(client, f"/strategies/{strategy.id}/milestones", add).status_code == 302
    # Resubmitted and approved.
    assert post(client, PLAN + "/submit", {}).status_code == 302
    assert post(chief, PLAN + "/decide", {"decision": "approve", "comment": ""}).status_code == 302
    assert _state(db_session, plan) == "approved"


def test_state_machine_refuses_moves_it_does_not_allow(
    app: Any, client: Any, plan: dict[str, Any], db_session: Any
) -> None:
    chief = _chief_client(app, plan)
    refused = post(chief, PLAN + "/decide", {"decision": "approve"})
    assert refused.status_code == 409
    assert "A plan that is draft cannot be sent to &#39;approve&#39;" in refused.get_data(
        as_text=True
    )
    sign_in(client, plan["officer"].email)
    assert post(client, PLAN + "/decide", {"decision": "approve"}).status_code == 403
    assert post(client, PLAN + "/submit", {}).status_code == 302
    again = post(client, PLAN + "/submit", {})
    assert again.status_code == 409 and "submitted cannot be sent" in again.get_data(as_text=True)
    no_comment = post(chief, PLAN + "/decide", {"decision": "request_changes", "comment": " "})
    assert no_comment.status_code == 409
    assert "a comment is required" in no_comment.get_data(as_text=True)
    assert _state(db_session, plan) == "submitted"


def test_service_state_machine_table(plan: dict[str, Any], db_session: Any) -> None:
    va, period, chief = plan["va"], plan["period"], plan["chief"]
    with pytest.raises(services.ReviewError):
        services.approve_plan(va, period, chief)
    with pytest.raises(services.ReviewError):
        services.request_changes(va, period, chief, "why")
    assert services.submit_plan(va, period, plan["officer"]).state == ReviewState.SUBMITTED
    with pytest.raises(services.ReviewError):
        services.submit_plan(va, period, plan["officer"])
    assert services.request_changes(va, period, chief, "why").state == (
        ReviewState.CHANGES_REQUESTED
    )
    with pytest.raises(services.ReviewError):
        services.approve_plan(va, period, chief)
    services.submit_plan(va, period, plan["officer"])
    assert services.approve_plan(va, period, chief, "Good.").state == ReviewState.APPROVED
    with pytest.raises(services.NeedsConfirmation):  # reopening an approved plan is confirmed
        services.submit_plan(va, period, plan["officer"])
    reopened = services.submit_plan(va, period, plan["officer"], confirm_reopen=True)
    assert reopened.state == ReviewState.SUBMITTED
    actions = db_session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity_type == "plan_review")
    ).all()
    assert actions == ["submit", "request_changes", "submit", "approve", "reopen"]


def test_other_departments_officer_cannot_submit(client: Any, plan: dict[str, Any],
                                                  db_session: Any) -> None:  # fmt: skip
    sign_in(client, plan["dmv_officer"].email)
    assert client.get(PLAN).status_code == 403  # SPEC 2: not another department's plan
    assert b"Submit the plan" not in client.get(PLAN).data
    assert post(client, PLAN + "/submit", {}).status_code == 403
    assert _state(db_session, plan) == "draft"


def test_red_without_a_note_blocks_submission(
    client: Any, plan: dict[str, Any], db_session: Any
) -> None:
    obs = _red(db_session, plan)
    sign_in(client, plan["officer"].email)
    assert "Red values wait for an explanation" in client.get(PLAN).get_data(as_text=True)
    refused = post(client, PLAN + "/submit", {})
    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert "red values without an explanation note in FY2023-Q1: Satisfaction" in page
    assert _state(db_session, plan) == "draft"
    obs.note = "Staff shortage in December; overtime approved."
    db_session.flush()
    assert post(client, PLAN + "/submit", {}).status_code == 302
    assert _state(db_session, plan) == "submitted"


def test_red_is_judged_on_the_department_score_not_each_row(
    client: Any, plan: dict[str, Any], db_session: Any
) -> None:
    """SPEC 4.5: the department's pooled score is what is red, and one note explains it."""
    red = _red(db_session, plan)  # 3.1 with n=100
    big = Observation(department_id=plan["va"].id, metric_id=red.metric_id, import_key="b",
                      period_id=plan["period"].id, value=4.5, n=900)  # fmt: skip
    db_session.add(big)
    db_session.flush()  # pooled score (310 + 4050) / 1000 = 4.36: green
    sign_in(client, plan["officer"].email)
    assert post(client, PLAN + "/submit", {}).status_code == 302
    assert _state(db_session, plan) == "submitted"


def test_one_note_on_the_metric_explains_its_red(db_session: Any, plan: dict[str, Any]) -> None:
    from cxprogram.metrics.reds import department_reds, unexplained_reds

    red = _red(db_session, plan)
    other = Observation(department_id=plan["va"].id, metric_id=red.metric_id, import_key="b",
                        period_id=plan["period"].id, value=3.3, n=100)  # fmt: skip
    db_session.add(other)
    db_session.flush()
    period_id, va = plan["period"].id, [plan["va"].id]
    (found,) = department_reds(period_id, va)
    assert found.score == pytest.approx(3.2) and not found.is_explained
    other.note = "Both offices short-staffed."
    db_session.flush()
    assert unexplained_reds(period_id, va) == []
    assert department_reds(period_id, va)[0].is_explained


def test_amber_and_green_do_not_block(client: Any, plan: dict[str, Any], db_session: Any) -> None:
    obs = _red(db_session, plan)
    obs.value = 3.9  # within the tolerance of 0.2: amber
    db_session.flush()
    sign_in(client, plan["officer"].email)
    assert post(client, PLAN + "/submit", {}).status_code == 302


def test_closed_period_plan_cannot_be_submitted_or_decided(
    app: Any, client: Any, plan: dict[str, Any], db_session: Any
) -> None:
    closed = "/departments/VA/plan/FY2022-Q4"
    sign_in(client, plan["officer"].email)
    page = client.get(closed).get_data(as_text=True)
    assert "is closed" in page and "Submit the plan" not in page
    refused = post(client, closed + "/submit", {})
    assert refused.status_code == 409
    assert "Period FY2022-Q4 is closed" in refused.get_data(as_text=True)
    chief = _chief_client(app, plan)
    assert post(chief, closed + "/decide", {"decision": "approve"}).status_code == 409
    assert db_session.scalars(select(PlanReview)).all() == []  # both refusals wrote nothing


def test_closing_the_current_period_locks_strategies_for_officers(
    client: Any, plan: dict[str, Any], db_session: Any
) -> None:
    plan["period"].state = PeriodState.CLOSED  # no open period left: the latest is current
    db_session.flush()
    strategy: Strategy = plan["strategy"]
    sign_in(client, plan["officer"].email)
    data = {"commentary": "x", "version": str(strategy.version)}
    response = post(client, f"/strategies/{strategy.id}/updates", data)
    assert response.status_code == 403
    assert "Period FY2023-Q1 is closed" in response.get_data(as_text=True)
    assert strategy.updates == []


def test_viewer_reads_only_granted_plans(client: Any, make_user: Any, plan: dict[str, Any]) -> None:
    sign_in(client, make_user("viewer", departments=("DMV",)).email)
    assert client.get(PLAN).status_code == 403
    page = client.get("/departments/DMV/plan/FY2023-Q1").get_data(as_text=True)
    assert "Review state" in page and "Submit the plan" not in page
    assert post(client, "/departments/DMV/plan/FY2023-Q1/submit", {}).status_code == 403


def test_plan_lists_running_and_still_open_strategies(
    client: Any, plan: dict[str, Any], db_session: Any
) -> None:
    from datetime import date

    from cxprogram.strategies.models import StrategyStatus

    va = plan["va"]
    old = date(2021, 1, 1), date(2021, 6, 30)
    for title, status, (start, end) in [
        ("Ended and done", StrategyStatus.DONE, old),
        ("Ended but still open", StrategyStatus.AT_RISK, old),
        ("Starts next year", StrategyStatus.NOT_STARTED, (date(2024, 1, 1), None)),
        ("Runs this quarter", StrategyStatus.ON_TRACK, (date(2022, 11, 1), date(2023, 2, 1))),
    ]:
        db_session.add(Strategy(department=va, title=title, status=status,
                                start_date=start, end_date=end))  # fmt: skip
    db_session.flush()
    sign_in(client, plan["officer"].email)
    page = client.get(PLAN).get_data(as_text=True)
    assert "Ended but still open" in page and "Runs this quarter" in page
    assert "Call-back instead of hold" in page  # no dates: always in the plan
    assert "Ended and done" not in page and "Starts next year" not in page
