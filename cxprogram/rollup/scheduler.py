"""The one scheduler process: APScheduler 3 with stable job ids, never inside web workers."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from cxprogram.reminders import jobs as reminder_jobs
from cxprogram.reports import jobs as report_jobs
from cxprogram.rollup import jobs
from cxprogram.rollup.services import ROLLUP_LOCK


@dataclass(frozen=True)
class JobSpec:
    """A scheduled job: stable id, body and when it runs (cron fields, or every so many
    minutes as the configuration key `every` says; 0 there leaves the job out)."""

    id: str
    body: jobs.Job
    hour: int | None = None
    minute: int = 0
    lock: str | None = None  # jobs that share a lock never run at once; default: the id
    every: str = ""


JOBS: tuple[JobSpec, ...] = (
    JobSpec("nightly-rollup", jobs.run_nightly_rollup, hour=2, lock=ROLLUP_LOCK),
    JobSpec("quarter-close", jobs.run_quarter_close, hour=3, lock=ROLLUP_LOCK),
    JobSpec("reminders", reminder_jobs.run_reminders, hour=8),
    JobSpec("refresh-rollups", jobs.run_rollup_refresh, lock=ROLLUP_LOCK,
            every="CX_ROLLUP_REFRESH_MINUTES"),
    JobSpec("quarter-close-report", report_jobs.run_quarter_close_reports, hour=3, minute=30,
            lock=ROLLUP_LOCK),
    JobSpec("report-queue", report_jobs.run_report_queue, every="CX_REPORT_QUEUE_MINUTES"),
)  # fmt: skip


def build_scheduler(app: Flask, timezone: str = "UTC") -> BlockingScheduler:
    """A scheduler holding every job once; starting it twice never doubles a job."""
    scheduler = BlockingScheduler(timezone=timezone)
    for spec in JOBS:
        trigger = _trigger(spec, app, timezone)
        if trigger is None:
            continue
        scheduler.add_job(
            partial(jobs.run_job, app, spec.id, spec.body, lock=spec.lock),
            trigger,
            id=spec.id,
            name=spec.id,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=3600,
        )
    return scheduler


def _trigger(spec: JobSpec, app: Flask, timezone: str) -> BaseTrigger | None:
    """When the job runs; None when its configured interval is 0 (switched off)."""
    if spec.every:
        minutes = int(app.config[spec.every])
        return IntervalTrigger(minutes=minutes, timezone=timezone) if minutes > 0 else None
    return CronTrigger(hour=spec.hour, minute=spec.minute, timezone=timezone)


def job_by_id(job_id: str) -> JobSpec:
    """The job spec with this id (KeyError names the known ones)."""
    for spec in JOBS:
        if spec.id == job_id:
            return spec
    raise KeyError(f"unknown job {job_id!r}; known: {', '.join(s.id for s in JOBS)}")
