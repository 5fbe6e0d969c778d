"""Forms of the organization pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectMultipleField, TextAreaField
from wtforms.validators import InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget


class CheckboxesField(SelectMultipleField):  # type: ignore[misc]
    """A multiple choice shown as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ServiceForm(FlaskForm):  # type: ignore[misc]
    """What an officer keeps current about a service."""

    description = TextAreaField("Description", validators=[Length(max=5000)])
    channels = CheckboxesField("Channels it is offered through", coerce=int)
    journey_stages = CheckboxesField("Journey stages it serves", coerce=int)
    version = HiddenField(validators=[InputRequired()])
