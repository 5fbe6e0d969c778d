"""People administration: list, search, create, edit, deactivate and reset users (admin)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from cxprogram.auth import services as auth_services
from cxprogram.auth.models import Role, User
from cxprogram.auth.services import UserError
from cxprogram.core import inputs
from cxprogram.core.permissions import roles
from cxprogram.core.templating import org_name
from cxprogram.extensions import db
from cxprogram.org.models import Department
from cxprogram.org.queries import departments_query
from cxprogram.people import account_views, queries, resets, services, token_views
from cxprogram.people.blueprint import bp
from cxprogram.people.forms import ActionForm, CreateUserForm, SearchForm, UserForm
from cxprogram.people.mail import is_mail_configured, send_link

__all__ = ["account_views", "bp", "token_views"]  # those modules add their routes to bp


@bp.route("/users")
@roles(Role.ADMIN)
def list_users() -> str:
    """Every user, searchable by name or e-mail, role, department and state."""
    form = SearchForm(request.args)
    departments = db.session.scalars(departments_query()).all()
    form.department.choices += [
        SelectChoice(str(d.id), f"{d.code} – {d.name}") for d in departments
    ]
    search = queries.UserSearch(
        text=form.q.data or "",
        role=Role(form.role.data) if form.role.data in Role._value2member_map_ else None,
        department_id=inputs.int_arg("department"),
        active={"active": True, "inactive": False}.get(form.state.data or ""),
    )
    users = db.session.scalars(queries.users_query(search)).all()
    awaiting = len(db.session.scalars(queries.awaiting_password_query()).all())
    return render_template(
        "people/list_users.html", form=form, users=users, awaiting=awaiting, action=ActionForm()
    )


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _with_department_choices(form: UserForm) -> UserForm:
    departments = db.session.scalars(departments_query())
    form.departments.choices = [SelectChoice(d.id, f"{d.code} – {d.name}") for d in departments]
    return form


@bp.route("/users/new", methods=["GET", "POST"])
@roles(Role.ADMIN)
def create_user() -> Response | str | tuple[str, int]:
    """Create a user; they get an invitation link by e-mail, or a one-time password shown once."""
    form = _with_department_choices(CreateUserForm())
    if not form.validate_on_submit():
        return render_template("people/create_user.html", form=form)
    codes = [d.code for d in _departments(form.departments.data)]
    try:
        user = auth_services.create_user(
            form.email.data, form.name.data, Role(form.role.data), None, codes, current_user
        )
    except UserError as error:
        db.session.rollback()
        return render_template("people/create_user.html", form=form, error=str(error)), 422
    return _give_password(user, "invite")


def _departments(ids: list[int]) -> list[Department]:
    return [d for d in (db.session.get(Department, i) for i in ids) if d is not None]


def _give_password(user: User, purpose: str) -> Response | tuple[str, int] | str:
    """E-mail a one-time link when SMTP is set up; otherwise show a one-time password once."""
    now = datetime.now(UTC)
    if is_mail_configured():
        link = resets.issue_link(user, purpose, current_user, now)
        db.session.commit()
        problem = _send_or_revoke(user, purpose, link)
        flash(problem or f"A link to set a password was e-mailed to {user.email}.",
              "error" if problem else "success")  # fmt: skip
        return redirect(url_for("people.edit_user", user_id=user.id))
    password = resets.issue_one_time_password(user, current_user, now)
    db.session.commit()
    page = render_template("people/one_time_password.html", user=user, password=password)
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"  # the password must not stay in a cache
    return response


def _send_or_revoke(user: User, purpose: str, link: resets.IssuedLink) -> str | None:
    """Mail the link; one that could not be sent is revoked (and said so), never left alive."""
    problem = send_link(user, purpose, link, org_name())
    if problem is None:
        return None
    resets.revoke_link(link, current_user, datetime.now(UTC))
    db.session.commit()
    return f"{problem} The link was withdrawn; try again once mail works."


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@roles(Role.ADMIN)
def edit_user(user_id: int) -> Response | str | tuple[str, int]:
    """Change a user's name, role and departments (optimistic locking, last-admin rule)."""
    user = _user(user_id)
    form = _with_department_choices(UserForm(data=_form_data(user)))
    if not form.validate_on_submit():
        return _edit_page(user, form)
    change = services.UserChange(
        form.name.data,
        Role(form.role.data),
        form.departments.data,
        inputs.version(form.version.data),
    )
    try:
        services.update_user(user, change, current_user)
        db.session.commit()
    except (services.EditConflict, StaleDataError):
        db.session.rollback()
        return _conflict(user_id, form)
    except UserError as error:
        db.session.rollback()
        return _edit_page(_user(user_id), form, error=str(error), status=422)
    flash(f"Saved {user.email}.", "success")
    if current_user.role != Role.ADMIN:  # an admin who just gave up the role
        return redirect(url_for("main.home"))
    return redirect(url_for("people.edit_user", user_id=user.id))


def _form_data(user: User) -> dict[str, object]:
    return {
        "name": user.name,
        "role": user.role.value,
        "departments": [d.id for d in user.departments],
        "version": str(user.version),
    }


def _edit_page(
    user: User, form: UserForm, *, error: str | None = None, status: int = 200, **extra: object
) -> tuple[str, int]:
    tokens = db.session.scalars(queries.tokens_query(user)).all()
    page = render_template(
        "people/edit_user.html", user=user, form=form, action=ActionForm(), error=error,
        tokens=tokens, mail_configured=is_mail_configured(), **extra,
    )  # fmt: skip
    return page, status


def _conflict(user_id: int, form: UserForm) -> tuple[str, int]:
    """Show what the other person saved and keep what this person typed (409)."""
    current = _user(user_id)
    form.version.data = str(current.version)
    theirs = auth_services.user_state(current)
    return _edit_page(current, form, conflict=theirs, status=409)


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@roles(Role.ADMIN)
def deactivate_user(user_id: int) -> Response | tuple[str, int]:
    """Refuse the user's sign-in from now on and end their sessions at once."""
    user = _user(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.deactivate_user(user, current_user)
    except UserError as error:
        db.session.rollback()
        return _edit_page(_user(user_id), _filled(_user(user_id)), error=str(error), status=409)
    db.session.commit()
    flash(f"{user.email} is deactivated: their sessions have ended.", "success")
    return redirect(url_for("people.edit_user", user_id=user.id))


def _filled(user: User) -> UserForm:
    return _with_department_choices(UserForm(formdata=None, data=_form_data(user)))


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@roles(Role.ADMIN)
def reactivate_user(user_id: int) -> Response:
    """Let a deactivated user sign in again."""
    user = _user(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.reactivate_user(user, current_user)
    db.session.commit()
    flash(f"{user.email} is active again.", "success")
    return redirect(url_for("people.edit_user", user_id=user.id))


@bp.route("/users/<int:user_id>/reset-password", methods=["POST"])
@roles(Role.ADMIN)
def reset_password(user_id: int) -> Response | str | tuple[str, int]:
    """A one-time link by e-mail, or a one-time password shown once when there is no SMTP."""
    user = _user(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if not user.is_active_user:
        flash("Reactivate the user before giving them a password.", "error")
        return redirect(url_for("people.edit_user", user_id=user.id))
    return _give_password(user, "reset" if user.has_password else "invite")


@bp.route("/users/first-passwords", methods=["POST"])
@roles(Role.ADMIN)
def give_first_passwords() -> Response | str:
    """Everyone awaiting a password gets an invitation link, or a one-time password listed once."""
    if not ActionForm().validate_on_submit():
        abort(400)
    users = db.session.scalars(queries.awaiting_password_query()).all()
    now = datetime.now(UTC)
    if not is_mail_configured():
        issued = [(u, resets.issue_one_time_password(u, current_user, now)) for u in users]
        db.session.commit()
        response = make_response(render_template("people/first_passwords.html", issued=issued))
        response.headers["Cache-Control"] = "no-store"
        return response
    links = [(u, resets.issue_link(u, "invite", current_user, now)) for u in users]
    db.session.commit()
    problems = [p for u, link in links if (p := _send_or_revoke(u, "invite", link))]
    flash(f"Invitations e-mailed: {len(links) - len(problems)} of {len(links)}.", "success")
    for problem in problems:
        flash(problem, "error")
    return redirect(url_for("people.list_users"))
