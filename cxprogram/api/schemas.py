"""The API's request and response shapes (pydantic v2). The views validate with these and
the OpenAPI document (openapi.py) is generated from them, so the two cannot drift apart.

Requests are strict (a string is not a number); the domain rules of a posted observation
(known department, metric in scale, open period...) are the import's rules, applied after
these types (see views_write.py).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

MAX_PAGE_SIZE = 500
MAX_POST_ITEMS = 10_000

NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL
Text = Annotated[str, Field(max_length=2000, pattern=NO_NUL)]
Code = Annotated[str, Field(min_length=1, max_length=60, pattern=NO_NUL)]
PERIOD_PATTERN = r"^\s*[Ff][Yy][0-9]{4}-[Qq][1-4]\s*$"


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DepartmentOut(_Out):
    """A department."""

    code: str
    name: str
    active: bool
    parent: str | None


class MetricOut(_Out):
    """A metric definition of the catalog."""

    code: str
    name: str
    kind: str
    unit: str
    direction: Literal["higher", "lower"]
    aggregation: str
    weighting: Literal["volume", "equal"]
    target: float | None
    tolerance: float | None
    driver: str | None
    scope: Literal["standard", "department"]


class PeriodOut(_Out):
    """A reporting period (a fiscal quarter)."""

    label: str
    start: date
    end: date
    state: Literal["open", "closed"]


class StrategyMetricOut(_Out):
    """A metric a strategy expects to move, and in which direction."""

    metric: str
    expected_direction: Literal["higher", "lower"]


class StrategyOut(_Out):
    """A strategy of a department."""

    id: int
    department: str
    title: str
    status: str
    progress: int
    effective_date: date | None
    metrics: list[StrategyMetricOut]
    drivers: list[str]


class ObservationOut(_Out):
    """One stored observation."""

    id: int
    department: str
    metric: str
    period: str
    value: float
    n: float | None
    service: str | None
    channel: str | None
    distribution: list[int] | None
    note: str
    source: Literal["form", "import", "api"]
    version: int


class ObservationPage(_Out):
    """A page of observations."""

    page: int
    page_size: int
    total: int
    items: list[ObservationOut]


class ObservationQuery(BaseModel):
    """The filters and paging of GET /observations; an unknown parameter is an error."""

    model_config = ConfigDict(extra="forbid")

    department: str = Field("", description="department code, e.g. VA", pattern=NO_NUL)
    metric: str = Field("", description="metric code, e.g. satisfaction", pattern=NO_NUL)
    period: str = Field("", pattern=r"^(\s*[Ff][Yy]\d{4}-[Qq][1-4]\s*)?$", description="FY2024-Q1")
    page: int = Field(1, ge=1, le=1_000_000)  # an offset the database can hold
    page_size: int = Field(100, ge=1, le=MAX_PAGE_SIZE)


class SnapshotOut(BaseModel):
    """Which stored snapshot a rollup document comes from."""

    version: int
    computed_at: str
    inputs_hash: str
    is_final: bool | None = None
    newer_data_waits: bool = Field(
        description="the inputs changed since this snapshot was computed: a rollup now would "
        "store a new version"
    )
    data_changed_at: str | None = Field(
        None, description="when newer data waits: the latest write since the snapshot, if known"
    )


class RollupOut(BaseModel):
    """The rollup document of SPEC section 6 (numbers at full precision)."""

    period: str
    previous_period: str | None
    snapshot: SnapshotOut
    consistency_index: float | None
    metrics: dict[str, dict[str, Any]]
    strategy_effects: list[dict[str, Any]]


class ObservationIn(BaseModel):
    """One observation to store: the columns of the import file, as JSON."""

    model_config = ConfigDict(extra="forbid", strict=True)

    department: Code = Field(description="department code, e.g. VA")
    metric: Code = Field(description="metric code, e.g. satisfaction")
    # Documented here, enforced by the import's rule (with its message naming the form).
    period: str = Field(
        description="fiscal quarter, e.g. FY2024-Q1",
        json_schema_extra={"pattern": PERIOD_PATTERN},
    )
    value: float = Field(description="within the metric's scale")
    n: float | None = Field(
        None, description="respondents or transactions; omitted keeps the stored n",
        json_schema_extra={"minimum": 0},
    )  # fmt: skip
    service: Text | None = Field(None, description="a service of the department, by name")
    channel: Text | None = Field(None, description="channel code or name, e.g. web")
    note: Text | None = Field(None, description="omitted keeps the stored note")
    version: int | None = Field(
        None, ge=1, description="the version GET returned; if the observation has changed "
        "since (or is not stored), nothing is written and the answer is 409 with its current "
        "version and values",
    )  # fmt: skip


class ObservationBatch(RootModel[list[ObservationIn]]):
    """POST /observations: all stored, or none."""

    root: list[ObservationIn] = Field(min_length=1, max_length=MAX_POST_ITEMS)


class ObservationsCreated(_Out):
    """What a successful POST did."""

    added: int
    changed: int
    unchanged: int
    periods_created: int


class ItemError(_Out):
    """One problem: the item's index in the posted list (None: the body), field and reason."""

    index: int | None
    field: str
    reason: str


class ErrorOut(_Out):
    """Every error response: the HTTP status, its name and, for bad items, each problem."""

    error: str
    status: int
    errors: list[ItemError] = Field(default_factory=list)


class ConflictOut(ErrorOut):
    """409: a posted `version` is stale; `current` is each such observation as stored now."""

    current: list[ObservationOut] = Field(default_factory=list)


COMPONENTS: tuple[type[BaseModel], ...] = (
    DepartmentOut, MetricOut, PeriodOut, StrategyOut, ObservationPage, RollupOut,
    ObservationBatch, ObservationsCreated, ErrorOut, ConflictOut,
)  # fmt: skip
