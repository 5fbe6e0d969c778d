"""Writes of the exports: an export job is started (or an identical one reused) and old
jobs are deleted with their files. Add and flush; the caller commits."""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

from cxprogram.exports.models import ExportJob, JobState
from cxprogram.exports.queries import active_job_query, expired_jobs_query
from cxprogram.extensions import db


def job_path(folder: Path, job: ExportJob) -> Path:
    """Where a job's file is kept: named after its random token, never after user input."""
    return folder / f"{job.token}.{job.fmt}"


def start_job(
    user_id: int, dataset: str, fmt: str, params: dict[str, Any], filename: str,
    total_rows: int, now: datetime,
) -> tuple[ExportJob, bool]:  # fmt: skip
    """The user's unfinished job of the same export, or a new queued one; True when new."""
    for job in db.session.scalars(active_job_query(user_id, dataset, fmt)):
        if job.params == params and not job.is_stale(now):
            return job, False
    job = ExportJob(
        token=secrets.token_urlsafe(24), user_id=user_id, dataset=dataset, fmt=fmt,
        params=params, filename=filename, state=JobState.QUEUED, total_rows=total_rows,
        created_at=now, updated_at=now,
    )  # fmt: skip
    db.session.add(job)
    db.session.flush()
    return job, True


def purge_jobs(folder: Path, before: datetime) -> int:
    """Delete the jobs created before `before`, and their files; returns how many."""
    jobs = list(db.session.scalars(expired_jobs_query(before)))
    for job in jobs:
        path = job_path(folder, job)
        path.unlink(missing_ok=True)
        path.with_name(path.name + ".part").unlink(missing_ok=True)
        db.session.delete(job)
    db.session.flush()
    return len(jobs)
