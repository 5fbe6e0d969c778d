"""Keep an uploaded file between its preview and its confirmation. Flushes, never commits.

The file is read and planned once, at upload: what is kept is its rows (compressed, see
`tabular.PackedRows`) and the preview of its plan, so showing the preview again reads
nothing. On confirmation the kept rows are planned again against the data as it is then
(it may have changed since the preview), and only the uploader can confirm.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import delete, select

from config import ImportLimits
from cxprogram.auth.models import User
from cxprogram.core.models import utcnow
from cxprogram.extensions import db
from cxprogram.imports.framework import (
    Importer,
    ImportPlan,
    Preview,
    bound_errors,
    import_limits,
    plan_table,
    read_file,
)
from cxprogram.imports.models import PendingUpload
from cxprogram.imports.tabular import PackedRows, Table, TableError

KEEP_FOR = timedelta(hours=12)


def stash_upload(
    user: User, kind: str, filename: str, content: bytes, limits: ImportLimits | None = None
) -> str:
    """Read and plan the file (the application's limits unless given), keep its rows and its
    preview; return the token."""
    from cxprogram.imports.registry import importers

    db.session.execute(delete(PendingUpload).where(PendingUpload.created_at < utcnow() - KEEP_FOR))
    importer = importers()[kind]
    plan, packed = _read_and_plan(user, importer, filename, content, limits or import_limits())
    token = secrets.token_urlsafe(32)
    db.session.add(
        PendingUpload(token=token, user_id=user.id, kind=importer.kind, filename=filename,
                      packed_rows=packed, preview=Preview.of_plan(plan).to_json())
    )  # fmt: skip
    db.session.flush()
    return token


def _read_and_plan(
    user: User, importer: Importer, filename: str, content: bytes, limits: ImportLimits
) -> tuple[ImportPlan, bytes]:
    try:
        table = read_file(importer, filename, content, limits)
    except TableError as error:
        return bound_errors(ImportPlan(filename, errors=list(error.errors))), b""
    plan = plan_table(importer, table, user, filename)
    assert isinstance(table.rows, PackedRows)
    return plan, (table.rows.data if plan.is_valid else b"")  # a bad file is never confirmed


def find_upload(user: User, kind: str, token: str) -> PendingUpload | None:
    """The user's own pending upload of this kind, or None (expired, someone else's, unknown)."""
    upload = db.session.scalar(
        select(PendingUpload).where(
            PendingUpload.token == token,
            PendingUpload.user_id == user.id,
            PendingUpload.kind == kind,
        )
    )
    if upload is None or upload.created_at < utcnow() - KEEP_FOR:
        return None
    return upload


def preview_of(upload: PendingUpload) -> Preview:
    """The preview made when the file was uploaded (or last confirmed)."""
    return Preview.from_json(upload.preview)


def plan_again(upload: PendingUpload, importer: Importer, user: User) -> ImportPlan:
    """Plan the kept rows against the data as it is now; the file is not read again."""
    rows = PackedRows(upload.packed_rows)
    return plan_table(importer, Table(rows.columns, rows), user, upload.filename)


def keep_preview(upload: PendingUpload, plan: ImportPlan) -> Preview:
    """Replace the kept preview by this plan's (the data changed since the last one)."""
    preview = Preview.of_plan(plan)
    upload.preview = preview.to_json()
    db.session.flush()
    return preview


def discard_upload(upload: PendingUpload) -> None:
    """Forget an upload once it has been imported or cancelled."""
    db.session.delete(upload)
    db.session.flush()
