"""Export jobs: a large download made in the background, polled by the user who asked."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cxprogram.core.models import UTCDateTime, utcnow
from cxprogram.extensions import Base

STALE_AFTER = timedelta(minutes=5)  # a running job writes its progress at least this often


class JobState(enum.Enum):
    """Where a job is: waiting for a thread, writing its file, done, or given up."""

    QUEUED = "queued"
    RUNNING = "running"
    READY = "ready"
    FAILED = "failed"


class ExportJob(Base):
    """One export made in the background. In the database, so any worker answers the poll;
    the file lives in the export folder under the job's token (never a name from a user)."""

    __tablename__ = "export_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    dataset: Mapped[str] = mapped_column(String(40))
    fmt: Mapped[str] = mapped_column(String(8))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)  # the filter: year, quarter, department
    filename: Mapped[str] = mapped_column(String(255))  # the name the download is given
    state: Mapped[JobState] = mapped_column(
        Enum(
            JobState, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]
        ),
        default=JobState.QUEUED,
    )
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    done_rows: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def is_stale(self, now: datetime) -> bool:
        """True when an unfinished job has not moved for STALE_AFTER: its process stopped."""
        unfinished = self.state in (JobState.QUEUED, JobState.RUNNING)
        return unfinished and now - self.updated_at > STALE_AFTER

    def is_finished(self, now: datetime) -> bool:
        """True when the job will not change any more (ready, failed or stale)."""
        return self.state in (JobState.READY, JobState.FAILED) or self.is_stale(now)
