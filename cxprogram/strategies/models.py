"""Strategies: a department's initiatives to change its service."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cxprogram.core.models import UTCDateTime, utcnow
from cxprogram.extensions import Base
from cxprogram.metrics.models import Direction, Driver

if TYPE_CHECKING:
    from cxprogram.auth.models import User
    from cxprogram.metrics.models import MetricDefinition, ReportingPeriod
    from cxprogram.org.models import Channel, Department, JourneyStage


class StrategyStatus(enum.StrEnum):
    """Where a strategy stands."""

    NOT_STARTED = "not_started"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    DONE = "done"
    CANCELLED = "cancelled"


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=30, values_callable=lambda e: [m.value for m in e])


class Strategy(Base):
    """An initiative of one department; its effective date keys the impact analysis."""

    __tablename__ = "strategies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    problem: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    owner_name: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[StrategyStatus] = mapped_column(
        _enum(StrategyStatus), default=StrategyStatus.NOT_STARTED
    )
    progress: Mapped[int] = mapped_column(Integer, default=0)
    start_date: Mapped[date | None] = mapped_column(Date)
    effective_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    department: Mapped[Department] = relationship()
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="strategy", cascade="all, delete-orphan", order_by="Milestone.due_date"
    )
    updates: Mapped[list[StrategyUpdate]] = relationship(
        back_populates="strategy",
        cascade="all, delete-orphan",
        order_by="StrategyUpdate.created_at.desc()",
    )
    metric_links: Mapped[list[StrategyMetric]] = relationship(
        back_populates="strategy", cascade="all, delete-orphan"
    )
    touchpoints: Mapped[list[StrategyTouchpoint]] = relationship(
        back_populates="strategy", cascade="all, delete-orphan"
    )
    drivers: Mapped[list[StrategyDriver]] = relationship(
        back_populates="strategy", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}


class Milestone(Base):
    """A dated step of a strategy."""

    __tablename__ = "milestones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    strategy_id: Mapped[int] = mapped_column(ForeignKey("strategies.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    due_date: Mapped[date | None] = mapped_column(Date)
    is_done: Mapped[bool] = mapped_column(Boolean, default=False)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when it was recorded
    done_on: Mapped[date | None] = mapped_column(Date)  # when it was really done
    strategy: Mapped[Strategy] = relationship(back_populates="milestones")


class StrategyUpdate(Base):
    """A dated progress note: the strategy's history reads like a log."""

    __tablename__ = "strategy_updates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    strategy_id: Mapped[int] = mapped_column(ForeignKey("strategies.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[StrategyStatus | None] = mapped_column(_enum(StrategyStatus))
    progress: Mapped[int | None] = mapped_column(Integer)
    commentary: Mapped[str] = mapped_column(Text)
    # The reporting period the update reports on (None: written before periods were kept).
    period_id: Mapped[int | None] = mapped_column(ForeignKey("reporting_periods.id"))
    strategy: Mapped[Strategy] = relationship(back_populates="updates")
    author: Mapped[User | None] = relationship()
    period: Mapped[ReportingPeriod | None] = relationship()


class StrategyMetric(Base):
    """A metric the strategy means to move, and in which direction."""

    __tablename__ = "strategy_metrics"
    __table_args__ = (UniqueConstraint("strategy_id", "metric_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    strategy_id: Mapped[int] = mapped_column(ForeignKey("strategies.id", ondelete="CASCADE"))
    metric_id: Mapped[int] = mapped_column(ForeignKey("metric_definitions.id"))
    expected_direction: Mapped[Direction] = mapped_column(_enum(Direction))
    strategy: Mapped[Strategy] = relationship(back_populates="metric_links")
    metric: Mapped[MetricDefinition] = relationship()


class StrategyTouchpoint(Base):
    """A targeted touchpoint: a channel at a journey stage."""

    __tablename__ = "strategy_touchpoints"
    __table_args__ = (UniqueConstraint("strategy_id", "channel_id", "stage_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    strategy_id: Mapped[int] = mapped_column(ForeignKey("strategies.id", ondelete="CASCADE"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    stage_id: Mapped[int] = mapped_column(ForeignKey("journey_stages.id"))
    strategy: Mapped[Strategy] = relationship(back_populates="touchpoints")
    channel: Mapped[Channel] = relationship()
    stage: Mapped[JourneyStage] = relationship()


class StrategyDriver(Base):
    """An A-11 driver the strategy targets."""

    __tablename__ = "strategy_drivers"
    __table_args__ = (UniqueConstraint("strategy_id", "driver"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    strategy_id: Mapped[int] = mapped_column(ForeignKey("strategies.id", ondelete="CASCADE"))
    driver: Mapped[Driver] = mapped_column(_enum(Driver))
    strategy: Mapped[Strategy] = relationship(back_populates="drivers")
