"""Keep an uploaded file between its preview and its confirmation. Flushes, never commits.

The preview page shows what the file would do; the confirm form carries only an opaque
token. The file is re-validated on confirmation (data may have changed in between), and
only its uploader can confirm it.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import delete, select

from cxprogram.auth.models import User
from cxprogram.core.models import utcnow
from cxprogram.extensions import db
from cxprogram.imports.models import PendingUpload

KEEP_FOR = timedelta(hours=12)


def stash_upload(user: User, kind: str, filename: str, content: bytes) -> str:
    """Store the file for later confirmation; return its token. Drops stale uploads."""
    db.session.execute(delete(PendingUpload).where(PendingUpload.created_at < utcnow() - KEEP_FOR))
    token = secrets.token_urlsafe(32)
    db.session.add(
        PendingUpload(token=token, user_id=user.id, kind=kind, filename=filename, content=content)
    )
    db.session.flush()
    return token


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


def discard_upload(upload: PendingUpload) -> None:
    """Forget an upload once it has been imported or cancelled."""
    db.session.delete(upload)
    db.session.flush()
