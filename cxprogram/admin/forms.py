"""Forms of the administration pages (validation only)."""

from __future__ import annotations

import calendar
from typing import Any
from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, ValidationError

from cxprogram.admin import calc
from cxprogram.org.forms import CheckboxesField


def no_line_breaks(form: Any, field: Any) -> None:
    """Refuse CR, LF and other line breaks in a value that goes into mail headers."""
    if any(ch in (field.data or "") for ch in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"):
        raise ValidationError(f"{field.label.text} must fit on one line (no line breaks).")


MONTHS = [SelectChoice(str(m), calendar.month_name[m]) for m in range(1, 13)]


class SettingsForm(FlaskForm):  # type: ignore[misc]
    """The organization's settings; the chief's copy keeps only the calendar fields."""

    name = StringField(
        "Organization name", validators=[InputRequired(), Length(max=200), no_line_breaks]
    )
    fiscal_year_start_month = SelectField("Fiscal year starts in", choices=MONTHS, coerce=int)
    due_days = IntegerField(
        "Data due (days after quarter end)", validators=[InputRequired(), NumberRange(0, 365)]
    )
    grace_days = IntegerField(
        "Grace days after the due date", validators=[InputRequired(), NumberRange(0, 365)]
    )
    reminder_days_before = IntegerField(
        "Reminder (days before the due date)", validators=[InputRequired(), NumberRange(0, 365)]
    )
    time_zone = StringField("Time zone", validators=[InputRequired(), Length(max=64)])
    smtp_sender_name = StringField(
        "Sender name on e-mail", validators=[InputRequired(), Length(max=200), no_line_breaks]
    )
    is_government = BooleanField(
        "This organization is a government: show the official-website banner"
    )
    government_name = StringField(
        "Government named in the banner", validators=[Length(max=200), no_line_breaks]
    )
    version = HiddenField(validators=[InputRequired()])

    def validate_government_name(self, field: Any) -> None:
        """The banner reads "An official website of <name>": a name is needed to show it."""
        field.data = (field.data or "").strip()
        if self.is_government.data and not field.data:
            raise ValidationError(
                "Name the government the banner speaks for, such as the State of Ohio, "
                "or untick the box above to show no banner."
            )

    def validate_time_zone(self, field: Any) -> None:
        """An IANA time zone name known to zoneinfo, such as America/Chicago."""
        value = (field.data or "").strip()
        if value not in available_timezones():
            raise ValidationError(
                f"'{value}' is not a time zone name; use one like America/Chicago or UTC"
            )
        field.data = value


class DepartmentForm(FlaskForm):  # type: ignore[misc]
    """A department's code, name and parent."""

    code = StringField(
        "Code", validators=[InputRequired(), Length(max=calc.CODE_MAX)], description=calc.CODE_RULE
    )
    name = StringField("Name", validators=[InputRequired(), Length(max=200)])
    short_name = StringField("Short name (optional)", description=calc.SHORT_NAME_RULE)
    parent = SelectField(
        "Parent department", choices=[SelectChoice("", "None")], validate_choice=False
    )
    version = HiddenField()

    def validate_code(self, field: Any) -> None:
        """Codes follow calc.CODE_RULE (lower case is raised)."""
        field.data = calc.normalise_code(field.data or "")
        original = getattr(self, "original_code", None)
        problem = None if field.data == original else calc.code_problem(field.data)
        if problem:
            raise ValidationError(problem)

    def validate_short_name(self, field: Any) -> None:
        """Short names follow calc.SHORT_NAME_RULE; blank is none."""
        field.data = calc.normalise_short_name(field.data)
        problem = calc.short_name_problem(field.data)
        if problem:
            raise ValidationError(problem)


class StatusForm(FlaskForm):  # type: ignore[misc]
    """Deactivate or reactivate (CSRF and the version the person saw)."""

    version = HiddenField(validators=[InputRequired()])


class AdminServiceForm(FlaskForm):  # type: ignore[misc]
    """A service as an administrator sets it up."""

    name = StringField("Name", validators=[InputRequired(), Length(max=300)])
    description = TextAreaField("Description", validators=[Length(max=5000)])
    channels = CheckboxesField("Channels it is offered through", coerce=int)
    journey_stages = CheckboxesField("Journey stages it serves", coerce=int)
    version = HiddenField()


class StandardForm(FlaskForm):  # type: ignore[misc]
    """A service standard as an administrator sets it up (SPEC 3)."""

    code = StringField("Code", validators=[InputRequired(), Length(max=40), no_line_breaks])
    text = TextAreaField("Text (the promise as published)", validators=[Length(max=2000)])
    metric = SelectField("Metric", validate_choice=False)
    target = StringField("Target", validators=[InputRequired(), Length(max=40)])
    channel = SelectField("Channel (optional)", coerce=int, validate_choice=False)
    version = HiddenField()


class TermForm(FlaskForm):  # type: ignore[misc]
    """A channel or journey stage: code (when adding) and name."""

    code = StringField(
        "Code (optional)",
        validators=[Length(max=calc.VOCABULARY_CODE_MAX)],
        description="Lower-case letters, digits and underscores, such as fax or tty_relay; "
        "made from the name when left blank. Files and links name it: it cannot change later.",
    )
    name = StringField(
        "Name",
        validators=[InputRequired(), Length(max=calc.VOCABULARY_NAME_MAX), no_line_breaks],
        description="What people read, such as Fax. Imports accept the code or the name, "
        "whatever the case.",
    )
    version = HiddenField()
