"""The one scheduler process: APScheduler 3 with stable job ids, never inside web workers."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from flask import Flask

from cxprogram.reminders import jobs as reminder_jobs
from cxprogram.rollup import jobs
from cxprogram.rollup.services import ROLLUP_LOCK


@dataclass(frozen=True)
class JobSpec:
    """A scheduled job: stable id, body and when it runs (cron fields)."""

    id: str
    body: jobs.Job
    hour: int
    minute: int = 0
    lock: str | None = None  # jobs that share a lock never run at once; default: the id


JOBS: tuple[JobSpec, ...] = (
    JobSpec("nightly-rollup", jobs.run_nightly_rollup, hour=2, lock=ROLLUP_LOCK),
    JobSpec("quarter-close", jobs.run_quarter_close, hour=3, lock=ROLLUP_LOCK),
    JobSpec("reminders", reminder_jobs.run_reminders, hour=8),
)


def build_scheduler(app: Flask, timezone: str = "UTC") -> BlockingScheduler:
    """A scheduler holding every job once; starting it twice never doubles a job."""
    scheduler = BlockingScheduler(timezone=timezone)
    for spec in JOBS:
        scheduler.add_job(
            partial(jobs.run_job, app, spec.id, spec.body, lock=spec.lock),
            CronTrigger(hour=spec.hour, minute=spec.minute, timezone=timezone),
            id=spec.id,
            name=spec.id,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=3600,
        )
    return scheduler


def job_by_id(job_id: str) -> JobSpec:
    """The job spec with this id (KeyError names the known ones)."""
    for spec in JOBS:
        if spec.id == job_id:
            return spec
    raise KeyError(f"unknown job {job_id!r}; known: {', '.join(s.id for s in JOBS)}")
