"""The report request form: validation only."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import DataRequired


class RequestReportForm(FlaskForm):  # type: ignore[misc]
    """Which period to report on (the choices: periods with a rollup snapshot)."""

    period = SelectField("Period", validators=[DataRequired()], validate_choice=True)
