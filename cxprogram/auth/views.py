"""Sign in, sign out, change password."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from cxprogram.auth import services
from cxprogram.auth.forms import ChangePasswordForm, SignInForm
from cxprogram.core import inputs
from cxprogram.core.permissions import public, signed_in
from cxprogram.extensions import db

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths may be followed after sign-in."""
    if not target or inputs.CONTROL.search(target):  # CR/LF would split the Location header
        return url_for("main.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("main.home")
    return target


@bp.route("/sign-in", methods=["GET", "POST"])
@public
def login() -> Response | tuple[str, int] | str:
    """Show the sign-in form; check credentials with throttling."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = SignInForm()
    if not form.validate_on_submit():
        return render_template("auth/sign_in.html", form=form)
    result = services.sign_in(
        form.email.data,
        form.password.data,
        remote_addr=request.remote_addr or "",
        now=datetime.now(UTC),
        max_failures=current_app.config["CX_LOGIN_MAX_FAILURES"],
        window=timedelta(seconds=current_app.config["CX_LOGIN_WINDOW_SECONDS"]),
    )
    db.session.commit()
    if result.user is None:
        status = 429 if result.is_throttled else 200
        return render_template("auth/sign_in.html", form=form, error=result.message), status
    login_user(result.user)
    return redirect(_safe_next(request.args.get("next")))


@bp.route("/sign-out", methods=["POST"])
@signed_in
def logout() -> Response:
    """End the session (POST only, so a link elsewhere cannot sign anyone out)."""
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
def change_password() -> Response | str:
    """Change one's own password."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user, form.current_password.data, form.new_password.data
            )
        except services.UserError as error:
            db.session.rollback()
            form.current_password.errors.append(str(error))
        else:
            db.session.commit()
            login_user(current_user)
            flash("Your password has been changed. Other sessions are signed out.", "success")
            return redirect(url_for("main.home"))
    return render_template("auth/change_password.html", form=form)
