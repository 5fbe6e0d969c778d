"""Forms of the people pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Optional

from cxprogram.auth.models import Role
from cxprogram.org.forms import CheckboxesField

ROLE_CHOICES = [SelectChoice(r.value, r.value.capitalize()) for r in Role]


class SearchForm(FlaskForm):  # type: ignore[misc]
    """Filters of the user list (a GET form: nothing changes, so no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField("Name or e-mail contains", validators=[Optional(), Length(max=200)])
    role = SelectField(
        "Role", choices=[SelectChoice("", "Any role"), *ROLE_CHOICES], validate_choice=False
    )
    department = SelectField(
        "Department", choices=[SelectChoice("", "Any department")], validate_choice=False
    )
    state = SelectField(
        "State",
        choices=[
            SelectChoice("", "Active and deactivated"),
            SelectChoice("active", "Active"),
            SelectChoice("inactive", "Deactivated"),
        ],
        validate_choice=False,
    )


class UserForm(FlaskForm):  # type: ignore[misc]
    """A user's name, role and department assignments, with the version edited."""

    name = StringField("Full name", validators=[DataRequired(), Length(max=200)])
    role = SelectField("Role", choices=ROLE_CHOICES)
    departments = CheckboxesField("Departments (required for officers)", coerce=int)
    version = HiddenField(validators=[InputRequired()])


class CreateUserForm(UserForm):
    """A new user: the edit fields and an e-mail address."""

    email = EmailField("E-mail address", validators=[DataRequired(), Length(max=254)])
    version = HiddenField(default="0")


class ActionForm(FlaskForm):  # type: ignore[misc]
    """A button-only form (deactivate, reactivate, reset, revoke): the CSRF token only."""


class SetPasswordForm(FlaskForm):  # type: ignore[misc]
    """A new password, twice (through a one-time link)."""

    new_password = PasswordField(
        "New password", validators=[DataRequired(), Length(min=12, max=1024)]
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("new_password", message="The two entries differ.")],
    )


class TokenForm(FlaskForm):  # type: ignore[misc]
    """A name to recognise a new API token by."""

    name = StringField("Token name", validators=[DataRequired(), Length(max=100)])
