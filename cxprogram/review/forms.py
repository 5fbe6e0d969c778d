"""Forms of the plan page: validation only."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length


class SubmitForm(FlaskForm):  # type: ignore[misc]
    """Submit a plan for review (a button; the form carries the CSRF token). Reopening an
    approved plan carries confirm_reopen=yes, sent only by the confirmation page."""

    confirm_reopen = HiddenField()
    # The length limit is the service's (review.services.cover_note_error), so the grid page
    # and the plan page refuse with the same words.
    cover_note = TextAreaField("Cover note to the chief (optional)")


class DecisionForm(FlaskForm):  # type: ignore[misc]
    """The chief's decision on a submitted plan."""

    decision = RadioField(
        "Decision",
        choices=[
            SelectChoice("approve", "Approve the plan"),
            SelectChoice("request_changes", "Ask for changes"),
        ],
        validators=[InputRequired("Choose to approve or to ask for changes.")],
    )
    comment = TextAreaField(
        "Comment for the department (required when asking for changes)",
        validators=[Length(max=5000)],
    )
