"""The body of an export job: a thread of the web process that writes the file under the
export folder and records its progress in the database, where any worker reads it.

A thread rather than the scheduler process: a download must not wait for a process that a
small installation may not run, and the file is written where the web workers serve it.
At most `job_threads` jobs run at once per process; the others wait, queued. A job whose
process stops (a restart) stops moving and is shown as stale after STALE_AFTER.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask
from sqlalchemy import update

from cxprogram.auth.models import User
from cxprogram.core.models import utcnow
from cxprogram.exports import formats
from cxprogram.exports.models import ExportJob, JobState
from cxprogram.exports.queries import DATASETS, ExportFilter
from cxprogram.exports.services import job_path
from cxprogram.extensions import db

T = TypeVar("T")
PROGRESS_SECONDS = 1.0  # how often a running job writes its row count
FAILED = "The export failed. Start it again; if it fails again, the server log has the cause."

_slots: dict[int, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def start_export_thread(app: Flask, job_id: int) -> None:
    """Run the job in a background thread (the job row must be committed already)."""
    thread = threading.Thread(
        target=run_export_job, args=(app, job_id), name=f"export-job-{job_id}", daemon=True
    )
    thread.start()


def _slot(app: Flask) -> threading.BoundedSemaphore:
    with _slots_lock:
        return _slots.setdefault(
            id(app), threading.BoundedSemaphore(app.config["CX_EXPORT_LIMITS"].job_threads)
        )


def run_export_job(app: Flask, job_id: int) -> None:
    """Wait for a slot, write the job's file, and record how it ended."""
    slot = _slot(app)
    with app.app_context():
        while not slot.acquire(timeout=60):
            _record(job_id)  # still queued, not stale
        try:
            _write(app, job_id)
        except Exception:
            db.session.rollback()
            app.logger.exception("export job %s failed", job_id)
            _record(job_id, state=JobState.FAILED, error=FAILED, finished_at=utcnow())
        finally:
            slot.release()


def _write(app: Flask, job_id: int) -> None:
    _begin_reading()
    job = db.session.get_one(ExportJob, job_id)
    dataset, fmt, user_id, params = DATASETS[job.dataset], job.fmt, job.user_id, job.params
    path = job_path(Path(app.config["CX_EXPORT_DIR"]), job)
    db.session.rollback()  # no read is open while the state is written
    _record(job_id, state=JobState.RUNNING, done_rows=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    progress = _Progress(job_id, _writes_while_reading(app))
    _begin_reading()
    flt = ExportFilter(reader=db.session.get_one(User, user_id), **params)
    with part.open("wb") as out:
        rows = progress.counted(dataset.rows(flt))
        chunks = formats.iter_format(fmt, dataset.columns, rows, dataset.title, dataset.widths)
        for chunk in chunks:
            out.write(chunk)
    db.session.rollback()  # the read ends before the last write
    os.replace(part, path)
    _record(job_id, state=JobState.READY, done_rows=progress.done, total_rows=progress.done,
            finished_at=utcnow())  # fmt: skip


def _begin_reading() -> None:
    """Begin the session's transaction as a read: on SQLite it begins deferred, so no writer
    waits for the job (a transaction outside a request otherwise takes the write lock)."""
    db.session.connection(execution_options={"cx_read_only": True})


def _writes_while_reading(app: Flask) -> bool:
    """False on SQLite's rollback journal, where a reader holds off every writer: progress
    is then recorded only at the start and the end."""
    is_sqlite = db.engine.dialect.name == "sqlite"
    return not is_sqlite or app.config["CX_SQLITE_JOURNAL_MODE"] == "wal"


class _Progress:
    """Counts the rows as they pass and writes the count at most once a PROGRESS_SECONDS."""

    def __init__(self, job_id: int, is_live: bool) -> None:
        self.job_id, self.is_live, self.done = job_id, is_live, 0
        self.written_at = time.monotonic()

    def counted(self, rows: Iterable[T]) -> Iterator[T]:
        """The same rows, counted."""
        for row in rows:
            self.done += 1
            if self.is_live and self.done % 1000 == 0:
                self._maybe_record()
            yield row

    def _maybe_record(self) -> None:
        if time.monotonic() - self.written_at >= PROGRESS_SECONDS:
            _record(self.job_id, done_rows=self.done)
            self.written_at = time.monotonic()


def _record(job_id: int, **values: Any) -> None:
    """Write a job's state in its own short transaction (the job's read stays open)."""
    with db.engine.begin() as conn:
        conn.execute(
            update(ExportJob).where(ExportJob.id == job_id).values(updated_at=utcnow(), **values)
        )
