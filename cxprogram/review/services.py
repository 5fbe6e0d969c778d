"""Writes on plan reviews: submit, approve, request changes. Flushes, never commits.

The state machine: an officer (or chief) submits a draft, an approved plan or one with
changes requested; the chief approves a submitted plan or asks for changes to it. A closed
period's plan never changes, and a plan with a red observation without an explanation
note cannot be submitted.
"""

from __future__ import annotations

from cxprogram.auth.models import User
from cxprogram.core import audit
from cxprogram.core.models import utcnow
from cxprogram.extensions import db
from cxprogram.metrics.models import ReportingPeriod
from cxprogram.org.models import Department
from cxprogram.review import queries
from cxprogram.review.models import PlanReview, ReviewState

ALLOWED_FROM: dict[str, frozenset[ReviewState]] = {
    "submit": frozenset({ReviewState.DRAFT, ReviewState.CHANGES_REQUESTED, ReviewState.APPROVED}),
    "approve": frozenset({ReviewState.SUBMITTED}),
    "request_changes": frozenset({ReviewState.SUBMITTED}),
}


class ReviewError(Exception):
    """A review action that the plan's state (or the period, or its data) does not allow."""


def review_state(review: PlanReview) -> dict[str, object]:
    """A plan review as plain data, for audit events."""
    return {"state": review.state.value, "comment": review.comment}


def get_or_create(department: Department, period: ReportingPeriod) -> PlanReview:
    """The review row of a department's plan for a period, created as a draft when missing."""
    review = queries.plan_review(department.id, period.id)
    if review is None:
        review = PlanReview(
            department_id=department.id, period_id=period.id, state=ReviewState.DRAFT, comment=""
        )
        db.session.add(review)
        db.session.flush()
    return review


def _check(action: str, review: PlanReview, period: ReportingPeriod) -> None:
    if period.is_closed:
        raise ReviewError(f"Period {period.label} is closed: its plans cannot change.")
    if review.state not in ALLOWED_FROM[action]:
        state = review.state.value.replace("_", " ")
        verb = action.replace("_", " ")
        raise ReviewError(f"A plan that is {state} cannot be sent to '{verb}'.")


def _record(
    action: str, review: PlanReview, before: dict[str, object], actor: User, period: ReportingPeriod
) -> None:
    db.session.flush()
    audit.record(
        action, "plan_review", review.id, actor=actor, before=before,
        after=review_state(review), department_id=review.department_id,
        period_label=period.label,
    )  # fmt: skip


def submit_plan(department: Department, period: ReportingPeriod, actor: User) -> PlanReview:
    """Submit the plan for the chief's review; refused while reds wait for a note."""
    review = get_or_create(department, period)
    _check("submit", review, period)
    reds = queries.unexplained_red_metrics(department.id, period.id)
    if reds:
        raise ReviewError(
            f"{department.code} has red values without an explanation note in {period.label}: "
            f"{', '.join(reds)}. Explain each red before submitting the plan."
        )
    before = review_state(review)
    review.state = ReviewState.SUBMITTED
    review.submitted_at = utcnow()
    review.submitted_by_id = actor.id
    _record("submit", review, before, actor, period)
    return review


def _decide(
    action: str,
    state: ReviewState,
    department: Department,
    period: ReportingPeriod,
    actor: User,
    comment: str,
) -> PlanReview:
    review = get_or_create(department, period)
    _check(action, review, period)
    before = review_state(review)
    review.state = state
    review.comment = comment.strip()
    review.decided_at = utcnow()
    review.decided_by_id = actor.id
    _record(action, review, before, actor, period)
    return review


def approve_plan(
    department: Department, period: ReportingPeriod, actor: User, comment: str = ""
) -> PlanReview:
    """The chief approves a submitted plan (the comment is optional)."""
    return _decide("approve", ReviewState.APPROVED, department, period, actor, comment)


def request_changes(
    department: Department, period: ReportingPeriod, actor: User, comment: str
) -> PlanReview:
    """The chief sends a submitted plan back with a comment saying what to change."""
    if not comment.strip():
        raise ReviewError("Say what should change: a comment is required to ask for changes.")
    return _decide(
        "request_changes", ReviewState.CHANGES_REQUESTED, department, period, actor, comment
    )
