"""Vocabulary administration: the channels and journey stages (admins only).

A term is added, renamed, retired or restored, never deleted: what was recorded with it
keeps it (SPEC 3, "extensible vocabulary").
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from cxprogram.admin import queries, vocabulary
from cxprogram.admin.blueprint import bp
from cxprogram.admin.forms import StatusForm, TermForm
from cxprogram.admin.services import StructureError
from cxprogram.auth.models import Role
from cxprogram.core import inputs
from cxprogram.core.permissions import roles
from cxprogram.extensions import db
from cxprogram.org import queries as org_queries
from cxprogram.org.services import EditConflict

Page = tuple[str, int]


def load_kind(slug: str) -> vocabulary.Kind:
    """The vocabulary of this URL segment (channels or stages), or 404."""
    kind = vocabulary.KINDS.get(slug)
    if kind is None:
        abort(404)
    return kind


def load_term(kind: vocabulary.Kind, term_id: int) -> vocabulary.Term:
    """The channel or stage with this id, or 404."""
    term: vocabulary.Term | None = db.session.get(kind.model, term_id)  # type: ignore[assignment]
    if term is None:
        abort(404)
    return term


@bp.route("/vocabularies")
@roles(Role.ADMIN)
def list_vocabularies() -> str:
    """Every channel and journey stage, current and retired, with what uses each."""
    return render_template(
        "admin/list_vocabularies.html",
        kinds=vocabulary.KINDS,
        terms={"channels": org_queries.channels(every=True),
               "stages": org_queries.journey_stages(every=True)},
        uses={"channels": queries.channel_uses(), "stages": queries.stage_uses()},
    )  # fmt: skip


@bp.route("/vocabularies/<kind>/new", methods=["GET", "POST"])
@roles(Role.ADMIN)
def new_term(kind: str) -> Response | str | Page:
    """Add a channel or a journey stage."""
    found = load_kind(kind)
    form = TermForm()
    if not form.validate_on_submit():
        return _term_page(found, None, form)
    try:
        term = vocabulary.create_term(found, form.code.data or "", form.name.data or "",
                                      current_user)  # fmt: skip
        db.session.commit()
    except StructureError as error:
        db.session.rollback()
        form[error.field].errors = [error.message]
        return _term_page(found, None, form, 422)
    flash(f"Added the {found.noun} {term.name} ({term.code}).", "success")
    return redirect(url_for("admin.list_vocabularies"))


@bp.route("/vocabularies/<kind>/<int:term_id>/edit", methods=["GET", "POST"])
@roles(Role.ADMIN)
def edit_term(kind: str, term_id: int) -> Response | str | Page:
    """Rename a channel or a journey stage; retire or restore it."""
    found = load_kind(kind)
    term = load_term(found, term_id)
    form = _term_form(term)
    if not form.validate_on_submit():
        return _term_page(found, term, form)
    try:
        vocabulary.rename_term(found, term, form.name.data or "",
                               inputs.version(form.version.data), current_user)  # fmt: skip
        db.session.commit()
    except StructureError as error:
        db.session.rollback()
        form[error.field].errors = [error.message]
        return _term_page(found, load_term(found, term_id), form, 422)
    except (EditConflict, StaleDataError):
        db.session.rollback()
        return _conflict(found, term_id, form)
    flash(f"Saved the {found.noun} {term.name}.", "success")
    return redirect(url_for("admin.list_vocabularies"))


@bp.route("/vocabularies/<kind>/<int:term_id>/retire", methods=["POST"])
@roles(Role.ADMIN)
def retire_term(kind: str, term_id: int) -> Response | Page:
    """Retire a channel or stage: kept where it was used, not offered for new records."""
    return _set_retired(kind, term_id, retired=True)


@bp.route("/vocabularies/<kind>/<int:term_id>/restore", methods=["POST"])
@roles(Role.ADMIN)
def restore_term(kind: str, term_id: int) -> Response | Page:
    """Offer a retired channel or stage again."""
    return _set_retired(kind, term_id, retired=False)


def _set_retired(slug: str, term_id: int, *, retired: bool) -> Response | Page:
    kind = load_kind(slug)
    term = load_term(kind, term_id)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        vocabulary.set_retired(kind, term, retired, inputs.version(form.version.data),
                               current_user)  # fmt: skip
        db.session.commit()
    except (EditConflict, StaleDataError):
        db.session.rollback()
        fresh = _term_form(load_term(kind, term_id), fresh=True)
        return _conflict(kind, term_id, fresh)
    state = "retired: what has it keeps it" if retired else "offered again"
    flash(f"The {kind.noun} {term.name} is {state}.", "success")
    return redirect(url_for("admin.edit_term", kind=kind.slug, term_id=term.id))


def _term_form(term: vocabulary.Term, *, fresh: bool = False) -> TermForm:
    form = TermForm(formdata=None) if fresh else TermForm()
    if fresh or not form.is_submitted():
        form.code.data, form.name.data = term.code, term.name
        form.version.data = str(term.version)
    return form


def _term_page(
    kind: vocabulary.Kind, term: vocabulary.Term | None, form: TermForm, status: int = 200,
    **extra: Any,
) -> Page:  # fmt: skip
    status_form = StatusForm(formdata=None, version=str(term.version)) if term else None
    page = render_template("admin/edit_term.html", kind=kind, term=term, form=form,
                           status_form=status_form, **extra)  # fmt: skip
    return page, status


def _conflict(kind: vocabulary.Kind, term_id: int, form: TermForm) -> Page:
    """Show what the other person saved and keep what this person typed (409)."""
    current = load_term(kind, term_id)
    form.version.data = str(current.version)
    return _term_page(kind, current, form, 409, conflict=vocabulary.term_state(current))
