"""Pages for everyone: the officer directory, setting a password through a one-time link,
and the first-sign-in redirect for a one-time password."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from cxprogram.auth.login import end_session
from cxprogram.auth.services import UserError
from cxprogram.core.permissions import public, signed_in
from cxprogram.extensions import db
from cxprogram.people import queries, resets
from cxprogram.people.blueprint import bp
from cxprogram.people.forms import SetPasswordForm

# What a user who must replace a one-time password may still reach.
ALLOWED_BEFORE_CHANGE = {"auth.change_password", "auth.logout", "static", "people.set_password"}


@bp.before_app_request
def require_new_password() -> Response | None:
    """Someone signed in with a one-time password chooses their own before anything else."""
    if request.endpoint in ALLOWED_BEFORE_CHANGE or request.blueprint == "api":
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        flash("You signed in with a one-time password. Choose your own password now.", "info")
        return redirect(url_for("auth.change_password"))
    return None


@bp.route("/officers")
@signed_in
def list_officers() -> str:
    """Who the officers of every department are, and the chiefs (names and e-mail only)."""
    return render_template("people/list_officers.html", entries=queries.officer_directory())


@bp.route("/reset-password/<secret>", methods=["GET", "POST"])
@public
def set_password(secret: str) -> Response:
    """Choose a password through a one-time link (reset or invitation); the link is spent."""
    now = datetime.now(UTC)
    link = resets.find_link(secret, now)
    form = SetPasswordForm()
    status, error = 200, None
    if link is None:
        status, error = 410, resets.LINK_UNUSABLE
    elif form.validate_on_submit():
        try:
            user = resets.use_link(link, form.new_password.data, now)
        except UserError as exc:
            db.session.rollback()
            status, error = 422, str(exc)
        else:
            if current_user.is_authenticated:
                end_session()
            db.session.commit()
            flash(f"Your password is set. Sign in as {user.email}.", "success")
            return redirect(url_for("auth.login"))
    page = render_template("people/set_password.html", form=form, link=link, error=error)
    response = make_response(page, status)
    response.headers["Referrer-Policy"] = "no-referrer"  # the secret is in this page's URL
    response.headers["Cache-Control"] = "no-store"
    return response
