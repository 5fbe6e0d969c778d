"""Forms of the metric catalog, the periods page and the data-entry grid."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import FloatField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from cxprogram.metrics.models import (
    Aggregation,
    Direction,
    Driver,
    Frequency,
    MetricKind,
    Unit,
    Weighting,
)


def _choices(enum: Any) -> list[SelectChoice]:
    return [SelectChoice(m.value, m.value.replace("_", " ")) for m in enum]


class GridForm(FlaskForm):  # type: ignore[misc]
    """The data-entry grid: its cells are read from the request; this carries the CSRF token."""


class ClosePeriodForm(FlaskForm):  # type: ignore[misc]
    """Close a period, with an optional reason."""

    reason = TextAreaField("Reason (optional)", validators=[Length(max=2000)])


class ReopenPeriodForm(FlaskForm):  # type: ignore[misc]
    """Reopen a closed period: a reason is required."""

    reason = TextAreaField(
        "Reason for reopening",
        validators=[DataRequired("Give the reason for reopening the period."), Length(max=2000)],
        filters=[lambda text: text.strip() if isinstance(text, str) else text],
    )


class MetricForm(FlaskForm):  # type: ignore[misc]
    """A metric definition as the chief (standard) or an officer (own department) edits it."""

    code = StringField(
        "Code",
        filters=[lambda text: text.strip() if isinstance(text, str) else text],
        validators=[
            DataRequired("A code is required."),
            Length(max=60),
            Regexp(r"^[a-z][a-z0-9_]*$", message="Use lower-case letters, digits and _."),
        ],
    )
    owner = SelectField("Owned by department", coerce=int)
    name = StringField("Name", validators=[InputRequired("A name is required."), Length(max=200)])
    description = TextAreaField("Description", validators=[Length(max=5000)])
    kind = SelectField("Kind", choices=_choices(MetricKind))
    unit = SelectField("Unit", choices=_choices(Unit))
    direction = SelectField("Better when", choices=_choices(Direction))
    aggregation = SelectField("Aggregation", choices=_choices(Aggregation))
    weighting = SelectField("Organization weighting", choices=_choices(Weighting))
    target = FloatField("Target", validators=[Optional()])
    tolerance = FloatField(
        "Tolerance", validators=[Optional(), NumberRange(min=0, message="Cannot be negative.")]
    )
    frequency = SelectField(
        "Reported", choices=_choices(Frequency), default=Frequency.QUARTERLY.value
    )
    driver = SelectField("A-11 driver", choices=[SelectChoice("", "none"), *_choices(Driver)])
    scale_min = FloatField("Scale minimum", validators=[Optional()])
    scale_max = FloatField("Scale maximum", validators=[Optional()])
    decimals = IntegerField(
        "Decimals shown",
        validators=[Optional(), NumberRange(min=0, max=6, message="Between 0 and 6.")],
    )
    n_counts = StringField(
        "What n counts",
        validators=[Length(max=60)],
        filters=[lambda text: text.strip() if isinstance(text, str) else text],
    )
    version = HiddenField()

    def validate_scale_max(self, field: FloatField) -> None:
        """The scale's maximum must be above its minimum."""
        from wtforms.validators import ValidationError

        low = self.scale_min.data
        if field.data is not None and low is not None and field.data <= low:
            raise ValidationError("Must be greater than the scale minimum.")
