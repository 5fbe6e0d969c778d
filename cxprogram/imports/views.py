"""Upload, preview and confirm any file import. All or nothing; only the uploader confirms."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.wrappers import Response

from cxprogram.core.permissions import signed_in
from cxprogram.extensions import db
from cxprogram.imports import uploads
from cxprogram.imports.framework import Importer, Preview, apply_plan
from cxprogram.imports.registry import importers
from cxprogram.metrics.observation_writes import REFUSALS

bp = Blueprint("imports", __name__, url_prefix="/imports")


class UploadForm(FlaskForm):  # type: ignore[misc]
    """A file to preview."""

    file = FileField("File (.csv or .xlsx)", validators=[FileRequired("Choose a file.")])


class ConfirmForm(FlaskForm):  # type: ignore[misc]
    """Confirm a previewed import (CSRF only)."""


def _importer(kind: str) -> Importer:
    importer = importers().get(kind)
    if importer is None:
        abort(404)
    if not importer.may_use(current_user):
        abort(403)
    return importer


@bp.route("/")
@signed_in
def list_imports() -> str:
    """The imports this user may run."""
    usable = [i for i in importers().values() if i.may_use(current_user)]
    return render_template("imports/list_imports.html", importers=usable)


@bp.route("/<kind>", methods=["GET", "POST"])
@signed_in
def upload_file(kind: str) -> Response | str:
    """Upload a file; it is validated and shown as a preview before anything is written."""
    importer = _importer(kind)
    form = UploadForm()
    if not form.validate_on_submit():
        return render_template("imports/upload_file.html", importer=importer, form=form)
    storage = form.file.data
    name = storage.filename or "upload"
    token = uploads.stash_upload(current_user, kind, name, storage.read())
    db.session.commit()
    return redirect(url_for("imports.preview_import", kind=kind, token=token))


@bp.route("/<kind>/<token>", methods=["GET", "POST"])
@signed_in
def preview_import(kind: str, token: str) -> Response | str | tuple[str, int]:
    """Show the preview kept at upload; on confirmation plan the rows again against the data
    as it is now and write it all, or show the new preview if it is not what was confirmed."""
    importer = _importer(kind)
    upload = uploads.find_upload(current_user, kind, token)
    if upload is None:
        abort(404)
    preview, form = uploads.preview_of(upload), ConfirmForm()
    if not (preview.is_valid and form.validate_on_submit()):
        return _page(importer, preview, form, token, 422 if preview.errors else 200)
    plan = uploads.plan_again(upload, importer, current_user)
    if not plan.is_valid or plan.counts() != preview.counts:
        preview = uploads.keep_preview(upload, plan)
        db.session.commit()
        return _page(importer, preview, form, token, 422 if plan.errors else 409)
    try:
        counts = apply_plan(importer, plan, current_user)
    except REFUSALS as refused:  # the rows changed or were locked since they were planned
        db.session.rollback()
        flash(f"Nothing was imported: {refused}", "error")
        return redirect(url_for("imports.preview_import", kind=kind, token=token))
    uploads.discard_upload(upload)
    db.session.commit()
    summary = ", ".join(f"{value} {key.replace('_', ' ')}" for key, value in counts.items())
    flash(f"Imported {upload.filename}: {summary}.", "success")
    return redirect(url_for("imports.list_imports"))


def _page(
    importer: Importer, preview: Preview, form: ConfirmForm, token: str, status: int
) -> tuple[str, int]:
    page = render_template("imports/preview_import.html", importer=importer, plan=preview,
                           form=form, token=token, changed=status == 409)  # fmt: skip
    return page, status
