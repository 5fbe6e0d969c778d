"""Quarterly PDF reports and their production status."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cxprogram.core.models import UTCDateTime, utcnow
from cxprogram.extensions import Base


class ReportStatus(enum.StrEnum):
    """Where a report's production stands."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class QuarterlyReport(Base):
    """A quarterly PDF made from one rollup snapshot."""

    __tablename__ = "quarterly_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("reporting_periods.id"), index=True)
    snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("rollup_snapshots.id"))
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
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    sha256: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
