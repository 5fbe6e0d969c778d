"""Forms of the organization pages."""

from __future__ import annotations

from typing import Protocol

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectMultipleField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from cxprogram.org import queries
from cxprogram.org.models import Service


class CheckboxesField(SelectMultipleField):  # type: ignore[misc]
    """A multiple choice shown as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ServiceTouchpoints(Protocol):
    """The fields every service form has: channels, journey stages and the version seen."""

    channels: CheckboxesField
    journey_stages: CheckboxesField
    version: HiddenField


def fill_touchpoints(form: ServiceTouchpoints, service: Service | None, *, load: bool) -> None:
    """Offer every channel and journey stage; with `load`, show the service's own."""
    if service is not None and load:
        form.channels.data = [c.id for c in service.channels]
        form.journey_stages.data = [s.id for s in service.journey_stages]
        form.version.data = str(service.version)
    form.channels.choices = [SelectChoice(c.id, c.name) for c in queries.channels()]
    form.journey_stages.choices = [SelectChoice(s.id, s.name) for s in queries.journey_stages()]


class ServiceForm(FlaskForm):  # type: ignore[misc]
    """What an officer keeps current about a service."""

    description = TextAreaField("Description", validators=[Length(max=5000)])
    channels = CheckboxesField("Channels it is offered through", coerce=int)
    journey_stages = CheckboxesField("Journey stages it serves", coerce=int)
    version = HiddenField(validators=[InputRequired()])
