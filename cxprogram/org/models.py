"""The organization: settings, departments, services, channels and journey stages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cxprogram.admin.calc import tight_name
from cxprogram.extensions import Base
from cxprogram.org.settings import DEFAULTS

if TYPE_CHECKING:
    from cxprogram.metrics.models import MetricDefinition


class OrgSettings(Base):
    """The single row of organization-wide settings (SPEC section 3)."""

    __tablename__ = "org_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default=DEFAULTS.name)
    fiscal_year_start_month: Mapped[int] = mapped_column(
        Integer, default=DEFAULTS.fiscal_year_start_month
    )
    due_days: Mapped[int] = mapped_column(Integer, default=DEFAULTS.due_days)
    grace_days: Mapped[int] = mapped_column(Integer, default=DEFAULTS.grace_days)
    reminder_days_before: Mapped[int] = mapped_column(
        Integer, default=DEFAULTS.reminder_days_before
    )
    time_zone: Mapped[str] = mapped_column(String(64), default=DEFAULTS.time_zone)
    smtp_sender_name: Mapped[str] = mapped_column(String(200), default=DEFAULTS.smtp_sender_name)
    is_government: Mapped[bool] = mapped_column(Boolean, default=DEFAULTS.is_government)
    government_name: Mapped[str] = mapped_column(String(200), default=DEFAULTS.government_name)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class Department(Base):
    """A department with a short unique code such as VA or DMV."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str | None] = mapped_column(String(12))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    parent: Mapped[Department | None] = relationship(remote_side=[id])
    services: Mapped[list[Service]] = relationship(
        back_populates="department", order_by="Service.name"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def tight_name(self) -> str:
        """What a tight table or header shows: the short name, else the code."""
        return tight_name(self.code, self.short_name)


class Channel(Base):
    """Where a service is offered: web, phone, in person... (extensible vocabulary; a retired
    channel stays on the observations and services that have it, and takes no new ones)."""

    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    is_retired: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class JourneyStage(Base):
    """A stage of the customer's journey: awareness, apply, get help... (extensible; retired
    like a channel)."""

    __tablename__ = "journey_stages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)
    is_retired: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


service_channels = Table(
    "service_channels",
    Base.metadata,
    Column("service_id", ForeignKey("services.id", ondelete="CASCADE"), primary_key=True),
    Column("channel_id", ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True),
)

service_journey_stages = Table(
    "service_journey_stages",
    Base.metadata,
    Column("service_id", ForeignKey("services.id", ondelete="CASCADE"), primary_key=True),
    Column("stage_id", ForeignKey("journey_stages.id", ondelete="CASCADE"), primary_key=True),
)


class Service(Base):
    """A service one department provides, through one or more channels."""

    __tablename__ = "services"
    __table_args__ = (UniqueConstraint("department_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    provider: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    department: Mapped[Department] = relationship(back_populates="services")
    channels: Mapped[list[Channel]] = relationship(secondary=service_channels)
    journey_stages: Mapped[list[JourneyStage]] = relationship(secondary=service_journey_stages)

    __mapper_args__ = {"version_id_col": version}


STANDARD_CODE_LENGTH = 40  # SPEC 3: the publisher's own identifier, up to 40 characters


class ServiceStandard(Base):
    """A service's published promise on one metric, with its own target (SPEC 3): kept when
    a period closes, never deleted, only retired."""

    __tablename__ = "service_standards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(STANDARD_CODE_LENGTH), unique=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    metric_id: Mapped[int] = mapped_column(ForeignKey("metric_definitions.id"))
    target: Mapped[float] = mapped_column(Float)
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id"))
    is_retired: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    service: Mapped[Service] = relationship()
    metric: Mapped[MetricDefinition] = relationship()
    channel: Mapped[Channel | None] = relationship()

    __mapper_args__ = {"version_id_col": version}
