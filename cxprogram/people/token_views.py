"""API tokens: each user's own (list, create shown once, revoke); the admin sees everyone's."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from cxprogram.auth.models import ApiToken, Role
from cxprogram.auth.tokens import create_token, revoke_token
from cxprogram.core.permissions import roles, signed_in
from cxprogram.extensions import db
from cxprogram.people import queries
from cxprogram.people.blueprint import bp
from cxprogram.people.forms import ActionForm, TokenForm


def _page(form: TokenForm, secret: str | None = None, status: int = 200) -> Response:
    tokens = db.session.scalars(queries.tokens_query(current_user)).all()
    page = render_template(
        "people/list_tokens.html", form=form, action=ActionForm(), tokens=tokens, secret=secret
    )
    response = make_response(page, status)
    response.headers["Cache-Control"] = "no-store"  # a new secret must not stay in a cache
    return response


@bp.route("/account/tokens")
@signed_in
def list_tokens() -> Response:
    """The signed-in user's API tokens."""
    return _page(TokenForm(formdata=None))


@bp.route("/account/tokens/new", methods=["POST"])
@signed_in
def create_api_token() -> Response:
    """Create a token for oneself; its secret is shown on this response only."""
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    secret = create_token(current_user, form.name.data.strip(), actor=current_user)
    db.session.commit()
    return _page(TokenForm(formdata=None), secret=secret, status=201)


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@signed_in
def revoke_api_token(token_id: int) -> Response:
    """Revoke one's own token, or (admin) anyone's."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        abort(404)
    is_own = token.user_id == current_user.id
    if not is_own and current_user.role != Role.ADMIN:
        abort(403)
    if not ActionForm().validate_on_submit():
        abort(400)
    if token.revoked_at is None:
        revoke_token(token, current_user, datetime.now(UTC))
        db.session.commit()
    flash(f"Token “{token.name}” of {token.user.email} is revoked.", "success")
    back = request.form.get("back", "")
    if back == "all" and current_user.role == Role.ADMIN:
        return redirect(url_for("people.list_all_tokens"))
    return redirect(url_for("people.list_tokens"))


@bp.route("/users/tokens")
@roles(Role.ADMIN)
def list_all_tokens() -> str:
    """Every user's API tokens (administrators), to revoke any of them."""
    tokens = db.session.scalars(queries.tokens_query(None)).all()
    return render_template("people/list_all_tokens.html", tokens=tokens, action=ActionForm())
