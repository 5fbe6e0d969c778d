"""Department plan reviews: draft, submitted, approved or changes requested."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cxprogram.core.models import UTCDateTime, utcnow
from cxprogram.extensions import Base


class ReviewState(enum.StrEnum):
    """Where a department's plan for a period stands."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"


class PlanReview(Base):
    """The review state of one department's plan in one period, with the chief's comment."""

    __tablename__ = "plan_reviews"
    __table_args__ = (UniqueConstraint("department_id", "period_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    period_id: Mapped[int] = mapped_column(ForeignKey("reporting_periods.id"))
    state: Mapped[ReviewState] = mapped_column(
        Enum(
            ReviewState,
            native_enum=False,
            length=30,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=ReviewState.DRAFT,
    )
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    comment: Mapped[str] = mapped_column(Text, default="")
    # The officer's optional note to the chief with the latest submission.
    cover_note: Mapped[str] = mapped_column(Text, default="")
    # The plan's strategies as they stood when it was last submitted: what the chief
    # decides on, and what a past period's plan shows (the strategies change afterwards).
    strategies_snapshot: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
