"""Writes on plan reviews: submit, approve, request changes. Flushes, never commits.

The state machine: an officer (or chief) submits a draft, an approved plan or one with
changes requested; the chief approves a submitted plan or asks for changes to it. A closed
period's plan never changes, and a plan with a red observation without an explanation
note cannot be submitted. Submitting keeps the plan's strategies as they stand (the chief
decides on them; a past period's plan shows them as they were), and submitting an approved
plan again reopens its review, which takes a confirmation.
"""

from __future__ import annotations

from typing import Any

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


COVER_NOTE_LIMIT = 2000  # characters of the officer's cover note to the chief


class ReviewError(Exception):
    """A review action that the plan's state (or the period, or its data) does not allow."""


class CoverNoteInvalid(ReviewError):
    """The cover note breaks its rule (its length); nothing was written."""


class NeedsConfirmation(ReviewError):
    """Submitting an approved plan reopens its review: the person must confirm it first."""


def review_state(review: PlanReview) -> dict[str, object]:
    """A plan review as plain data, for audit events."""
    return {"state": review.state.value, "comment": review.comment,
            "cover_note": review.cover_note}  # fmt: skip


def cover_note_error(note: str) -> str | None:
    """Why a cover note is refused (the field and the limit), or None."""
    if len(note.strip()) > COVER_NOTE_LIMIT:
        return (
            f"Cover note to the chief: at most {COVER_NOTE_LIMIT:,} characters "
            f"({len(note.strip()):,} written). Shorten it, then submit again."
        )
    return None


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
    action: str,
    review: PlanReview,
    before: dict[str, object],
    actor: User,
    period: ReportingPeriod,
    after: dict[str, object] | None = None,
    reason: str | None = None,
) -> None:
    db.session.flush()
    audit.record(
        action, "plan_review", review.id, actor=actor, before=before,
        after=after or review_state(review), department_id=review.department_id,
        period_label=period.label, reason=reason,
    )  # fmt: skip


def submit_plan(
    department: Department,
    period: ReportingPeriod,
    actor: User,
    confirm_reopen: bool = False,
    cover_note: str = "",
) -> PlanReview:
    """Submit the plan for the chief's review, with an optional cover note, keeping its
    strategies as they stand now; refused while reds wait for a note, for a cover note over
    the limit, and for an approved plan unless confirmed."""
    refused = cover_note_error(cover_note)
    if refused:
        raise CoverNoteInvalid(refused)
    review = get_or_create(department, period)
    _check("submit", review, period)
    is_reopen = review.state == ReviewState.APPROVED
    if is_reopen and not confirm_reopen:
        raise NeedsConfirmation(
            f"{department.code}'s plan for {period.label} is approved: submitting it again "
            "reopens the review. Confirm to reopen it."
        )
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
    review.strategies_snapshot = strategies_snapshot(department, period)
    review.cover_note = cover_note.strip()
    after = {**review_state(review), "strategies": review.strategies_snapshot}
    reason = "reopened the approved plan (confirmed)" if is_reopen else None
    _record("reopen" if is_reopen else "submit", review, before, actor, period, after, reason)
    return review


def strategies_snapshot(department: Department, period: ReportingPeriod) -> list[dict[str, Any]]:
    """The plan's strategies as they stand now, as plain data for the plan's JSON column."""
    strategies = db.session.scalars(queries.plan_strategies_query(department.id, period))
    return [queries.strategy_at(s, None).to_json() for s in strategies]


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
