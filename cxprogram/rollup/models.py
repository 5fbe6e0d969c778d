"""Stored rollup snapshots of a period (SPEC section 4)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cxprogram.core.models import UTCDateTime, utcnow
from cxprogram.extensions import Base
from cxprogram.rollup import triggers


class RollupSnapshot(Base):
    """One computed rollup of one period: a new version only when its inputs change."""

    __tablename__ = "rollup_snapshots"
    __table_args__ = (UniqueConstraint("period_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("reporting_periods.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    inputs_hash: Mapped[str] = mapped_column(String(64))
    is_final: Mapped[bool] = mapped_column(default=False)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)


class RollupPeriodAggregates(Base):
    """A period's department aggregates, kept so that a rollup re-reads only its own period.

    fingerprint says which state of the period's observations the row was computed from
    (see queries.period_fingerprints); digest is the SHA-256 of the aggregates themselves,
    so the inputs hash of a snapshot changes exactly when some period's aggregates do.
    """

    __tablename__ = "rollup_period_aggregates"

    period_id: Mapped[int] = mapped_column(
        ForeignKey("reporting_periods.id", ondelete="CASCADE"), primary_key=True
    )
    fingerprint: Mapped[str] = mapped_column(String(200))
    digest: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RollupPeriodStamp(Base):
    """A change counter per period, bumped by triggers (rollup/triggers.py) on every insert,
    update and delete of one of its observations. On SQLite, changed = 1 marks a period
    changed since the cache last read it (further writes then skip the bump)."""

    __tablename__ = "rollup_period_stamps"

    period_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


triggers.register(Base.metadata)
