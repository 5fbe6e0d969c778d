"""Quarterly PDF reports and their production status."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, Float, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from cxprogram.core.models import UTCDateTime, utcnow
from cxprogram.extensions import Base


class ReportStatus(enum.StrEnum):
    """Where a report's production stands."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class QuarterlyReport(Base):
    """A quarterly PDF made from one rollup snapshot, archived with how it was made."""

    __tablename__ = "quarterly_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("reporting_periods.id"), index=True)
    snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("rollup_snapshots.id"))
    snapshot_version: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[ReportStatus] = mapped_column(
        Enum(
            ReportStatus,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=ReportStatus.QUEUED,
    )
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_by_label: Mapped[str] = mapped_column(String(200), default="scheduler")
    # Set on the report the quarter-close job makes for a final snapshot: unique, so that
    # two schedulers (or a job run twice) never archive two for one closed quarter.
    close_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size_bytes: Mapped[int | None] = mapped_column(Integer)
    pages: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    # progress, written by the renderer while it runs
    stage: Mapped[str] = mapped_column(String(40), default="", server_default="")
    sections_done: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sections_total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    pages_laid_out: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    render_pid: Mapped[int | None] = mapped_column(Integer)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # timings
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    build_seconds: Mapped[float | None] = mapped_column(Float)
    render_seconds: Mapped[float | None] = mapped_column(Float)
    mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_finished(self) -> bool:
        """Done or failed: nothing more will happen to it."""
        return self.status in (ReportStatus.DONE, ReportStatus.FAILED)
