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

from cxprogram.metrics.observation_payload import KEY_MAX_CHARS, LABEL_MAX_CHARS

MAX_PAGE_SIZE = 500
MAX_POST_ITEMS = 10_000

NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL
Text = Annotated[str, Field(max_length=2000, pattern=NO_NUL)]
Code = Annotated[str, Field(min_length=1, max_length=60, pattern=NO_NUL)]
# a quarter (FY2024-Q1), a month (FY2024-M03) or a fiscal year (FY2024, 2023-2024, 2023-24)
PERIOD_PATTERN = (
    r"^\s*([Ff][Yy][0-9]{4}(-[Qq][1-4]|-[Mm][0-9]{1,2})?|[0-9]{4}-([0-9]{4}|[0-9]{2}))\s*$"
)


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
    frequency: Literal["monthly", "quarterly", "annual"] = Field(
        description="monthly values carry their month; annual ones sit in the year's last quarter"
    )


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
    month: int | None = Field(description="a monthly metric's month (1 = January); else null")
    value: float
    n: float | None
    service: str | None
    channel: str | None
    standard: str | None = Field(description="the service standard's code, or none")
    key: str = Field(description="the source's own record identifier, empty for none")
    label: str = Field(description="what the row is, e.g. a service standard's text")
    distribution: list[int] | None
    note: str
    source: Literal["form", "import", "api"]
    version: int


class StandardOut(_Out):
    """A service's published standard (SPEC 3): its own target judges its observations."""

    code: str
    department: str
    service: str
    text: str
    metric: str
    target: float
    channel: str | None
    retired: bool


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


def _described(description: str, default: Any = ...) -> Any:
    return Field(default, description=description)


class SnapshotOut(BaseModel):
    """Which stored snapshot a rollup document comes from."""

    version: int = _described("the snapshot's version: a new one only when its inputs change")
    computed_at: str = _described("when the snapshot was computed (ISO 8601, UTC)")
    inputs_hash: str = _described("SHA-256 of everything the rollup was computed from")
    is_final: bool | None = _described("the period was closed: the snapshot is kept", None)
    newer_data_waits: bool = _described(
        "the inputs changed since this snapshot was computed: a rollup now would store a new "
        "version"
    )
    data_changed_at: str | None = _described(
        "when newer data waits: the latest write since the snapshot (ISO 8601), if known", None
    )


class VariationOut(BaseModel):
    """Variation and assurance of a series read on its last point (SPEC 4.9, NHS England's
    "Making Data Count"); every field but values and baseline_points is null when the
    baseline (the series' values before this period) has fewer than four values."""

    variation: Literal["common cause", "improvement", "concern"] | None = _described(
        "common cause when no rule holds; improvement when a rule holds on the metric's "
        "better side, concern on the worse side"
    )
    rule: Literal["trend", "shift", "two of three", "outside"] | None = _described(
        "the first rule that holds, checked in this order: seven values strictly rising or "
        "falling; seven values on one side of the centre; the last value and one of the two "
        "before it beyond the same two-sigma line; the last value beyond a process limit"
    )
    side: Literal["high", "low"] | None = _described("the side the rule holds on")
    assurance: Literal["pass", "fail", "hit or miss"] | None = _described(
        "against the target: pass when even the worse process limit meets it, fail when "
        "even the better one misses it, else hit or miss; null without a target"
    )
    center: float | None = _described("mean of the baseline")
    lpl: float | None = _described("lower process limit: centre - 2.66 x mean moving range")
    upl: float | None = _described("upper process limit: centre + 2.66 x mean moving range")
    baseline_points: int = _described("the number of values in the baseline")
    values: list[float | None] = _described(
        "the series in the periods of the document's `periods` (null: no data)"
    )


class TrendOut(BaseModel):
    """The last value against XmR limits over the earlier values (SPEC 4.8)."""

    signal: Literal["above", "below", "none"] | None = _described(
        "null with fewer than four earlier values"
    )
    center: float | None = _described("mean of the earlier values")
    lower: float | None = _described("centre - 2.66 x mean moving range")
    upper: float | None = _described("centre + 2.66 x mean moving range")


class DepartmentRollupOut(BaseModel):
    """One department's figures for one metric in the period."""

    score: float = _described("the department score s_d (SPEC 4.1)")
    n: float = _described("N_d: respondents or transactions (or observations) behind it")
    weight: float = _described("w_d, its weight in the organization score (SPEC 4.2)")
    status: Literal["green", "amber", "red"] | None = _described(
        "against the target (SPEC 4.5); null without a target"
    )
    trend: TrendOut | None = _described("the XmR trend signal", None)
    variation: VariationOut | None = _described(
        "variation and assurance of its series; null in snapshots stored before them", None
    )


class PartOut(BaseModel):
    """A department's part of the change in the organization score (SPEC 4.6)."""

    rate: float = _described("its own change in service: (w0 + w1) / 2 x (s1 - s0)")
    mix: float = _described("its change in share of customers: ((s0 + s1) / 2 - S) x (w1 - w0)")
    total: float = _described("rate + mix")


class DecompositionOut(BaseModel):
    """What moved the organization score since the previous period (SPEC 4.6)."""

    delta: float = _described("S1 - S0")
    rate: float = _described("the sum of the departments' rate parts")
    mix: float = _described("the sum of the departments' mix parts")
    departments: dict[str, PartOut] = _described("by department code")


class ConvergenceOut(BaseModel):
    """cv and consistency share against the previous period (SPEC 4.4)."""

    previous_cv: float | None
    previous_consistency: float | None
    cv_change: float | None = _described("this period's cv minus the previous (down: converging)")
    consistency_change: float | None = _described("this period's share minus the previous")


class MetricRollupOut(BaseModel):
    """One metric's rollup in the period."""

    name: str | None = _described("the metric's name (as it is now)", None)
    unit: str | None = _described("the unit of its values (as it is now)", None)
    higher_is_better: bool | None = _described("its direction", None)
    is_standard: bool | None = _described("every department reports it", None)
    frequency: Literal["monthly", "quarterly", "annual"] | None = _described(
        "how often it is reported; an annual metric's values sit in the year's last quarter",
        None,
    )
    compared_with: str | None = _described(
        "the period the decomposition and convergence compare with: the previous quarter, or "
        "for an annual metric the previous year's last quarter (null: no data there)",
        None,
    )
    target: float | None = _described("the metric's target", None)
    tolerance: float | None = _described("how far from the target (or S) still counts", None)
    org_score: float | None = _described("the organization score S (SPEC 4.2)")
    weighting: Literal["volume", "equal"] = _described("how departments are weighted in S")
    aggregation: str | None = _described("weighted_mean, mean or sum", None)
    n_departments: int = _described("departments with data in the period")
    mean: float | None = _described("mean of the department scores (SPEC 4.3)")
    sd: float | None = _described("their population standard deviation")
    cv: float | None = _described("sd / |mean|; null when the mean is 0")
    min: float | None
    max: float | None
    range: float | None = _described("max - min")
    iqr: float | None = _described("75th minus 25th percentile (linear interpolation)")
    consistency: float | None = _described(
        "percent of departments within the tolerance of S (SPEC 4.4); null without one"
    )
    counted_in_index: bool | None = _described(
        "this metric's share is one the consistency index averages", None
    )
    variation: VariationOut | None = _described(
        "variation and assurance of the organization series S", None
    )
    departments: dict[str, DepartmentRollupOut] = _described("by department code")
    decomposition: DecompositionOut | None = _described("null without a previous period")
    convergence: ConvergenceOut | None = _described("null without a previous period", None)


class StrategyEffectOut(BaseModel):
    """The estimated effect of a strategy on one linked metric (SPEC 4.7)."""

    strategy_id: int
    title: str | None = _described("the strategy's title (as it is now)", None)
    department: str = _described("the strategy's department code")
    department_name: str | None = _described("its name (as it is now)", None)
    metric: str
    effective_period: str = _described("the period of its effective date")
    status: Literal["estimated", "insufficient data"]
    pre: float | None = _described("the department's mean score over the kept pre periods")
    post: float | None = _described("the same over the kept post periods")
    control_pre: float | None = _described("the other departments' mean, pre periods")
    control_post: float | None = _described("the other departments' mean, post periods")
    effect: float | None = _described("(post - pre) - (control_post - control_pre)")
    weight: float | None = _described("the department's weight in the last post period")
    contribution: float | None = _described("weight x effect")
    pre_periods: int = _described("pre periods kept (the department had data)")
    post_periods: int = _described("post periods kept")
    compared_departments: int | None = _described(
        "E: other departments with data before and after, whose own changes are compared", None
    )
    unusual: float | None = _described(
        "percent of the compared departments' changes (minus the control's) smaller in size "
        "than the effect; null when fewer than five are compared", None
    )  # fmt: skip


class DepartmentNameOut(BaseModel):
    """A department named in the document (as it is now)."""

    name: str = _described("its name; its code when no department has that code any more")
    parent: str | None = _described("its parent's code")
    short_name: str | None = _described(
        "its short name, shown instead of the code in tight tables; null when it has none", None
    )


class CoverageOut(BaseModel):
    """What the consistency index averages (SPEC 4.4)."""

    metrics: list[str] = _described(
        "standard metrics with a tolerance and data from at least three departments"
    )
    count: int = _described("how many")
    of: int = _described("the standard metrics with a tolerance")


class RollupOut(BaseModel):
    """The rollup document of SPEC section 6 (numbers at full precision). Names, titles and
    units are read when the document is, so a rename shows at once in every snapshot."""

    period: str
    previous_period: str | None
    snapshot: SnapshotOut
    periods: list[str] = _described(
        "the last twelve (at most) period labels up to this one, oldest first: the x axis "
        "of every `values` array", []
    )  # fmt: skip
    departments: dict[str, DepartmentNameOut] = _described(
        "every department the document names, by code", {}
    )
    consistency_index: float | None = _described(
        "plain mean of the consistency shares of the metrics in consistency_coverage"
    )
    consistency_coverage: CoverageOut | None = _described(
        "the metrics the index averages; null in snapshots stored before it", None
    )
    metrics: dict[str, MetricRollupOut] = _described("by metric code")
    strategy_effects: list[StrategyEffectOut]


class ObservationIn(BaseModel):
    """One observation to store: the columns of the import file, as JSON."""

    model_config = ConfigDict(extra="forbid", strict=True)

    department: Code = Field(description="department code, e.g. VA")
    metric: Code = Field(description="metric code, e.g. satisfaction")
    # Documented here, enforced by the import's rule (with its message naming the form).
    period: str = Field(
        description="fiscal quarter, e.g. FY2024-Q1; for a monthly metric a month, e.g. "
        "FY2024-M03 (March of FY2024), or the quarter with `month`; for an annual metric the "
        "fiscal year, e.g. FY2024, 2023-2024 or 2023-24 (stored in its last quarter)",
        json_schema_extra={"pattern": PERIOD_PATTERN},
    )
    month: int | None = Field(
        None, ge=1, le=12,
        description="a monthly metric's month, 1 (January) to 12, one of the quarter's months",
    )  # fmt: skip
    value: float = Field(description="within the metric's scale")
    n: float | None = Field(
        None, description="respondents or transactions; omitted keeps the stored n",
        json_schema_extra={"minimum": 0},
    )  # fmt: skip
    service: Text | None = Field(None, description="a service of the department, by name")
    channel: Text | None = Field(None, description="channel code or name, e.g. web")
    standard: Text | None = Field(
        None, description="the code of a standard of the row's service on the row's metric"
    )
    note: Text | None = Field(
        None, description="the explanation of a red, nothing else; omitted keeps the stored note"
    )
    # Lengths documented here, enforced by the import's rule (its message names the limit).
    key: str | None = Field(
        None, description="the source's own record identifier: rows with different keys stay "
        "apart (part of what identifies the observation; omitted or empty: none)",
        json_schema_extra={"maxLength": KEY_MAX_CHARS},
    )  # fmt: skip
    import_key: str | None = Field(
        None, description="the former name of `key`, still accepted", deprecated=True,
        json_schema_extra={"maxLength": KEY_MAX_CHARS},
    )  # fmt: skip
    label: str | None = Field(
        None, description="what the row is, e.g. the standard's text; omitted keeps the "
        "stored label", json_schema_extra={"maxLength": LABEL_MAX_CHARS},
    )  # fmt: skip
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
    DepartmentOut, MetricOut, PeriodOut, StrategyOut, StandardOut, ObservationPage, RollupOut,
    ObservationBatch, ObservationsCreated, ErrorOut, ConflictOut,
)  # fmt: skip
