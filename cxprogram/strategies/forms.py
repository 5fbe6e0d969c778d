"""Forms of the strategy pages: validation only."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from cxprogram.core import inputs
from cxprogram.metrics.models import Driver
from cxprogram.org.forms import CheckboxesField
from cxprogram.strategies.models import StrategyStatus

PERCENT_MESSAGE = "Progress must be a whole number from 0 to 100."
STATUS_CHOICES = [
    SelectChoice(s.value, s.value.replace("_", " ").capitalize())
    for s in StrategyStatus
    if s != StrategyStatus.CANCELLED
]


def _percent(form: Any, field: Any) -> None:
    """A whole number from 0 to 100 (empty is allowed where the field is optional)."""
    text = (field.data or "").strip()
    if not text:
        return
    if inputs.to_int(text, maximum=100) is None:
        raise ValidationError(PERCENT_MESSAGE)


def parse_status(text: str | None) -> StrategyStatus | None:
    """The status a select holds, None when empty or not one a person may choose."""
    allowed = {choice.value for choice in STATUS_CHOICES}
    return StrategyStatus(text) if text is not None and text in allowed else None


def parse_version(text: str | None) -> int:
    """The version a form carried (-1, which never matches, when it is not a number)."""
    return inputs.version(text)


def parse_date(text: str | None) -> date | None:
    """The date a YYYY-MM-DD field holds, None when empty or not a date."""
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def parse_percent(text: str | None) -> int | None:
    """The integer a validated percentage field holds, None when empty."""
    return inputs.to_int(text)


class StrategyForm(FlaskForm):  # type: ignore[misc]
    """A strategy's fields; linked metrics are read from metric_<id> selects by the view."""

    title = StringField("Title", validators=[InputRequired("Enter a title."), Length(max=300)])
    problem = TextAreaField("Problem it addresses", validators=[Length(max=5000)])
    description = TextAreaField("Description", validators=[Length(max=10000)])
    owner_name = StringField("Owner", validators=[Length(max=200)])
    status = SelectField("Status", choices=STATUS_CHOICES)
    progress = StringField(
        "Progress (%)", validators=[InputRequired(PERCENT_MESSAGE), _percent], default="0"
    )
    start_date = DateField("Start date", validators=[Optional()])
    effective_date = DateField("Effective date", validators=[Optional()])
    end_date = DateField("End date", validators=[Optional()])
    drivers = CheckboxesField(
        "Targeted A-11 drivers",
        choices=[SelectChoice(d.value, d.value.capitalize()) for d in Driver],
    )
    touchpoints = CheckboxesField("Targeted touchpoints")
    version = HiddenField(default="0")


class UpdateForm(FlaskForm):  # type: ignore[misc]
    """A dated progress note that may also set the status and progress."""

    commentary = TextAreaField(
        "What happened",
        validators=[InputRequired("Write what happened: the commentary is required."),
                    Length(max=10000)],
    )  # fmt: skip
    update_status = SelectField(
        "New status", choices=[SelectChoice("", "Keep the current status")], validate_choice=False
    )
    update_progress = StringField("New progress (%)", validators=[_percent])
    # The open periods, latest first; the view sets the choices and the default (the
    # current period); the service refuses a closed or unknown one.
    update_period = SelectField("Reporting period", choices=[], validate_choice=False)
    version = HiddenField(validators=[InputRequired()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.update_status.choices = [SelectChoice("", "Keep the current status"), *STATUS_CHOICES]


class MilestoneForm(FlaskForm):  # type: ignore[misc]
    """A new milestone of a strategy."""

    milestone_title = StringField(
        "Milestone", validators=[InputRequired("Enter the milestone's title."), Length(max=300)]
    )
    milestone_due = DateField("Due date", validators=[Optional()])
    version = HiddenField(validators=[InputRequired()])


class TickForm(FlaskForm):  # type: ignore[misc]
    """Mark a milestone done (done=1) or reopen it (done=0)."""

    done = HiddenField(validators=[InputRequired()])
    done_on = StringField("Done on")  # YYYY-MM-DD; empty is today (services.done_on_error)
    version = HiddenField(validators=[InputRequired()])


class CancelForm(FlaskForm):  # type: ignore[misc]
    """Cancel a strategy, with the reason."""

    reason = TextAreaField(
        "Reason for cancelling",
        validators=[InputRequired("Give the reason for cancelling."), Length(max=5000)],
    )
    version = HiddenField(validators=[InputRequired()])
