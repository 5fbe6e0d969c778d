"""Forms of the rollup actions: validation only."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import Length


class RecomputeForm(FlaskForm):  # type: ignore[misc]
    """The "Recompute now" button: the form carries the CSRF token and where to go back."""

    next = HiddenField(validators=[Length(max=2000)])
