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
    """Offer the current channels and journey stages, and the retired ones the service
    already has (marked so); with `load`, show the service's own."""
    if service is not None and load:
        form.channels.data = [c.id for c in service.channels]
        form.journey_stages.data = [s.id for s in service.journey_stages]
        form.version.data = str(service.version)
    own_channels = [c.id for c in service.channels] if service is not None else []
    own_stages = [s.id for s in service.journey_stages] if service is not None else []
    form.channels.choices = [
        SelectChoice(c.id, retired_label(c.name, c.is_retired))
        for c in queries.channels(own_channels)
    ]
    form.journey_stages.choices = [
        SelectChoice(s.id, retired_label(s.name, s.is_retired))
        for s in queries.journey_stages(own_stages)
    ]


def retired_label(name: str, is_retired: bool) -> str:
    """A vocabulary term as a form lists it: a retired one says so."""
    return f"{name} (retired)" if is_retired else name


class ServiceForm(FlaskForm):  # type: ignore[misc]
    """What an officer keeps current about a service."""

    description = TextAreaField("Description", validators=[Length(max=5000)])
    channels = CheckboxesField("Channels it is offered through", coerce=int)
    journey_stages = CheckboxesField("Journey stages it serves", coerce=int)
    version = HiddenField(validators=[InputRequired()])
