"""Metric definitions, reporting periods and observations."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cxprogram.core.models import UTCDateTime, utcnow
from cxprogram.extensions import Base
from cxprogram.metrics import display
from cxprogram.metrics.observation_payload import KEY_MAX_CHARS, LABEL_MAX_CHARS

if TYPE_CHECKING:
    from cxprogram.org.models import Channel, Department, Service, ServiceStandard


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=30, values_callable=lambda e: [m.value for m in e])


class MetricKind(enum.StrEnum):
    """What a metric measures."""

    SURVEY = "survey"
    OPERATIONAL = "operational"
    VOLUME = "volume"


class Unit(enum.StrEnum):
    """The unit of a metric's values."""

    POINTS = "points"
    PERCENT = "percent"
    SECONDS = "seconds"
    MINUTES = "minutes"
    DAYS = "days"
    COUNT = "count"


class Direction(enum.StrEnum):
    """Whether higher or lower values are better."""

    HIGHER = "higher"
    LOWER = "lower"


class Aggregation(enum.StrEnum):
    """How a department's observations combine (SPEC 4.1)."""

    WEIGHTED_MEAN = "weighted_mean"
    MEAN = "mean"
    SUM = "sum"


class Weighting(enum.StrEnum):
    """How departments combine into the organization score (SPEC 4.2)."""

    VOLUME = "volume"
    EQUAL = "equal"


class Driver(enum.StrEnum):
    """The A-11 drivers of trust."""

    SATISFACTION = "satisfaction"
    TRUST = "trust"
    EFFECTIVENESS = "effectiveness"
    EASE = "ease"
    EFFICIENCY = "efficiency"
    TRANSPARENCY = "transparency"
    EMPLOYEE = "employee"


class Frequency(enum.StrEnum):
    """How often a metric is reported (SPEC 3): its values are monthly, quarterly or annual."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    ANNUAL = "annual"


class PeriodState(enum.StrEnum):
    """A reporting period is open for entry or closed (locked)."""

    OPEN = "open"
    CLOSED = "closed"


class Source(enum.StrEnum):
    """Where an observation came from."""

    FORM = "form"
    IMPORT = "import"
    API = "api"


class MetricDefinition(Base):
    """A measure: standard (every department reports it) or owned by one department."""

    __tablename__ = "metric_definitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[MetricKind] = mapped_column(_enum(MetricKind))
    unit: Mapped[Unit] = mapped_column(_enum(Unit))
    direction: Mapped[Direction] = mapped_column(_enum(Direction), default=Direction.HIGHER)
    aggregation: Mapped[Aggregation] = mapped_column(_enum(Aggregation))
    weighting: Mapped[Weighting] = mapped_column(_enum(Weighting), default=Weighting.VOLUME)
    target: Mapped[float | None] = mapped_column(Float)
    tolerance: Mapped[float | None] = mapped_column(Float)
    scale_min: Mapped[float | None] = mapped_column(Float)
    scale_max: Mapped[float | None] = mapped_column(Float)
    # Decimals a value is shown with (None: by unit, metrics/display.py); stored in full.
    decimals: Mapped[int | None] = mapped_column(Integer)
    # What n counts for this metric ("respondents", "calls"); "" says it by kind.
    n_counts: Mapped[str] = mapped_column(String(60), default="", server_default="")
    driver: Mapped[Driver | None] = mapped_column(_enum(Driver))
    frequency: Mapped[Frequency] = mapped_column(
        _enum(Frequency), default=Frequency.QUARTERLY, server_default=Frequency.QUARTERLY.value
    )
    owner_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    owner_department: Mapped[Department | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_standard(self) -> bool:
        """Standard metrics are reported by every department."""
        return self.owner_department_id is None

    @property
    def shown_decimals(self) -> int:
        """The decimals its values are shown with."""
        return display.decimals_of(self.decimals, self.unit.value)

    @property
    def scale_text(self) -> str:
        """Its scale as a person writes it ("1 to 5", "0 to 100 %")."""
        return display.describe_scale(self.scale_min, self.scale_max, self.unit.value)

    @property
    def n_counts_text(self) -> str:
        """What its n counts (respondents, calls, cases)."""
        return self.n_counts or display.default_n_counts(self.kind.value)

    def shown(self, value: float | None) -> str:
        """A value of this metric at its precision ("" for none)."""
        return display.format_value(value, self.shown_decimals)


class ReportingPeriod(Base):
    """A fiscal quarter such as FY2024-Q1, open or closed."""

    __tablename__ = "reporting_periods"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(10), unique=True)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    quarter: Mapped[int] = mapped_column(Integer)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    state: Mapped[PeriodState] = mapped_column(_enum(PeriodState), default=PeriodState.OPEN)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_closed(self) -> bool:
        """Closed periods are locked against change."""
        return self.state == PeriodState.CLOSED


class Observation(Base):
    """One value of one metric for one department in one period."""

    __tablename__ = "observations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    metric_id: Mapped[int] = mapped_column(ForeignKey("metric_definitions.id"), index=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("reporting_periods.id"), index=True)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"))
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id"))
    # The source's own record identifier, `key` in files and the API: it distinguishes
    # several source records for the same cell (A-11 has two collections of one service in
    # one quarter); "" for values entered by people.
    import_key: Mapped[str] = mapped_column(String(KEY_MAX_CHARS), default="")
    # What the row is, in the source's words (a standard's text); never an explanation.
    label: Mapped[str] = mapped_column(String(LABEL_MAX_CHARS), default="", server_default="")
    # The service standard the value reports on (SPEC 3): judged against its own target.
    standard_id: Mapped[int | None] = mapped_column(ForeignKey("service_standards.id"))
    # A monthly metric's month (calendar month 1..12, one of the period's three); None for
    # quarterly and annual metrics. Part of the key: three months of a quarter are three rows.
    month: Mapped[int | None] = mapped_column(Integer)
    value: Mapped[float] = mapped_column(Float)
    n: Mapped[float | None] = mapped_column(Float)
    distribution: Mapped[list[int] | None] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[Source] = mapped_column(_enum(Source), default=Source.FORM)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    department: Mapped[Department] = relationship()
    metric: Mapped[MetricDefinition] = relationship()
    period: Mapped[ReportingPeriod] = relationship()
    service: Mapped[Service | None] = relationship()
    channel: Mapped[Channel | None] = relationship()
    standard: Mapped[ServiceStandard | None] = relationship()

    __mapper_args__ = {"version_id_col": version}


# One row per observation: "no service", "no channel" and "no month" are values here, on
# PostgreSQL and SQLite alike (a unique constraint treats NULLs as distinct, so concurrent adds
# of a department-level row stored duplicates). The write service answers a violation as a 409.
KEY_INDEX = Index(
    "uq_observations_key",
    Observation.department_id,
    Observation.metric_id,
    Observation.period_id,
    func.coalesce(Observation.service_id, 0),
    func.coalesce(Observation.channel_id, 0),
    Observation.import_key,
    func.coalesce(Observation.standard_id, 0),
    func.coalesce(Observation.month, 0),
    unique=True,
)
