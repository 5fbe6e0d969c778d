"""Sign-in and password forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length


class SignInForm(FlaskForm):  # type: ignore[misc]
    """E-mail and password."""

    email = EmailField("E-mail address", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


class ChangePasswordForm(FlaskForm):  # type: ignore[misc]
    """Current password and the new one, twice."""

    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField(
        "New password", validators=[DataRequired(), Length(min=12, max=1024)]
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("new_password", message="The two entries differ.")],
    )
