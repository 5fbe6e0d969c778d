"""Sign in, sign out, change password."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user
from werkzeug.wrappers import Response

from cxprogram.auth import services
from cxprogram.auth.forms import ChangePasswordForm, SignInForm
from cxprogram.auth.login import begin_session, end_other_sessions, end_session
from cxprogram.core import inputs
from cxprogram.core.permissions import public, signed_in
from cxprogram.extensions import db

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths may be followed after sign-in."""
    return inputs.local_path(target) or url_for("main.home")


def _throttle() -> services.Throttle:
    config = current_app.config
    return services.Throttle(
        per_account=config["CX_LOGIN_MAX_FAILURES"],
        per_address=config["CX_LOGIN_MAX_FAILURES_PER_ADDRESS"],
        window=timedelta(seconds=config["CX_LOGIN_WINDOW_SECONDS"]),
    )


@bp.route("/sign-in", methods=["GET", "POST"])
@public
def login() -> Response | tuple[str, int] | tuple[str, int, dict[str, str]] | str:
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
        throttle=_throttle(),
    )
    if result.user is not None:
        begin_session(result.user)
    db.session.commit()
    if result.user is None:
        page = render_template("auth/sign_in.html", form=form, error=result.message)
        if result.retry_after is None:
            return page, 200
        return page, 429, {"Retry-After": str(result.retry_after)}
    return redirect(_safe_next(request.args.get("next")))


@bp.route("/sign-out", methods=["POST"])
@signed_in
def logout() -> Response:
    """End the session on the server too (POST only, so a link elsewhere cannot sign anyone
    out): a copy of the cookie kept from before is refused from now on."""
    end_session()
    db.session.commit()
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
            end_other_sessions(current_user)
            db.session.commit()
            login_user(current_user)
            flash("Your password has been changed. Other sessions are signed out.", "success")
            return redirect(url_for("main.home"))
    return render_template("auth/change_password.html", form=form)
