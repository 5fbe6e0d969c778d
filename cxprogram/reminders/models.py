"""The log of reminders sent: each goes out once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cxprogram.core.models import UTCDateTime, utcnow
from cxprogram.extensions import Base


class ReminderLog(Base):
    """A reminder that was sent; the unique key makes sure each goes out once."""

    __tablename__ = "reminder_log"
    __table_args__ = (UniqueConstraint("kind", "period_label", "department_id", "recipient"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # "due" or "late"
    period_label: Mapped[str] = mapped_column(String(10))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    recipient: Mapped[str] = mapped_column(String(254))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
