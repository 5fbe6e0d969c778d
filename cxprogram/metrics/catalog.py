"""The standard metric catalog that ships with the product, and the vocabularies."""

from __future__ import annotations

from dataclasses import dataclass

from cxprogram.metrics.models import (
    Aggregation,
    Direction,
    Driver,
    Frequency,
    MetricKind,
    Unit,
    Weighting,
)


@dataclass(frozen=True)
class MetricSpec:
    """A metric definition as data."""

    code: str
    name: str
    description: str
    kind: MetricKind
    unit: Unit
    direction: Direction
    aggregation: Aggregation
    weighting: Weighting
    target: float | None
    tolerance: float | None
    scale: tuple[float, float | None] | None
    driver: Driver | None
    decimals: int | None = None  # None: by unit (metrics/display.py)
    n_counts: str = ""  # what n counts; "" says it by kind
    frequency: Frequency = Frequency.QUARTERLY


def _survey(code: str, name: str, statement: str) -> MetricSpec:
    return MetricSpec(
        code=code,
        name=name,
        description=f'A-11 survey: "{statement}" (1 = strongly disagree, 5 = strongly agree).',
        kind=MetricKind.SURVEY,
        unit=Unit.POINTS,
        direction=Direction.HIGHER,
        aggregation=Aggregation.WEIGHTED_MEAN,
        weighting=Weighting.VOLUME,
        target=4.0,
        tolerance=0.25,
        scale=(1.0, 5.0),
        driver=Driver(code),
        decimals=2,
        n_counts="respondents",
    )


def _operational(
    code: str,
    name: str,
    description: str,
    unit: Unit,
    direction: Direction,
    target: float,
    tol: float,
    n_counts: str,
) -> MetricSpec:
    scale = (0.0, 100.0) if unit == Unit.PERCENT else (0.0, None)  # None: no upper limit
    return MetricSpec(
        code, name, description, MetricKind.OPERATIONAL, unit, direction,
        Aggregation.WEIGHTED_MEAN, Weighting.VOLUME, target, tol, scale, None,
        decimals=1 if unit == Unit.PERCENT else 0, n_counts=n_counts,
    )  # fmt: skip


SURVEY_METRICS: tuple[MetricSpec, ...] = (
    _survey("satisfaction", "Satisfaction", "I am satisfied with the service I received."),
    _survey("trust", "Trust/confidence", "This interaction increased my trust in the agency."),
    _survey("effectiveness", "Effectiveness (need addressed)", "My need was addressed."),
    _survey("ease", "Ease", "It was easy to complete what I needed to do."),
    _survey("efficiency", "Efficiency (reasonable time)", "It took a reasonable amount of time."),
    _survey("transparency", "Equity/transparency (treated fairly)", "I was treated fairly."),
    _survey("employee", "Employee helpfulness", "Employees I interacted with were helpful."),
)

OPERATIONAL_METRICS: tuple[MetricSpec, ...] = (
    _operational(
        "speed_of_answer", "Average speed of answer",
        "Mean seconds before a caller reaches a person.",
        Unit.SECONDS, Direction.LOWER, 120.0, 30.0, "calls answered",
    ),
    _operational(
        "abandonment_rate", "Abandonment rate",
        "Share of calls or sessions abandoned before service.",
        Unit.PERCENT, Direction.LOWER, 5.0, 2.0, "calls or sessions",
    ),
    _operational(
        "first_contact_resolution", "First-contact resolution",
        "Share of requests settled in the first contact.",
        Unit.PERCENT, Direction.HIGHER, 80.0, 5.0, "requests",
    ),
    _operational(
        "backlog_age", "Backlog age", "Median age in days of open cases at quarter end.",
        Unit.DAYS, Direction.LOWER, 30.0, 10.0, "open cases",
    ),
)  # fmt: skip

# The metrics of service standards (SPEC 3, 4.5), created with the organization's first
# standard (admin/standards.py), so an organization without standards sees no change (no
# grid rows, nothing more due). within_standard is the metric most standards promise on;
# standards_met is computed by the rollup from the observations that name a standard, never
# entered. Their targets and tolerances are edited in the catalog like any.
WITHIN_STANDARD = _operational(
    "within_standard", "Within standard",
    "Share of transactions that met the service standard's promise (each standard's own "
    "target judges its values).",
    Unit.PERCENT, Direction.HIGHER, 80.0, 5.0, "transactions",
)  # fmt: skip
STANDARDS_MET_CODE = "standards_met"
STANDARDS_MET = MetricSpec(
    STANDARDS_MET_CODE, "Standards met",
    "Share of the department's service standards whose values in the period met their own "
    "target (computed from the standards' observations, not entered).",
    MetricKind.OPERATIONAL, Unit.PERCENT, Direction.HIGHER, Aggregation.WEIGHTED_MEAN,
    Weighting.VOLUME, 80.0, 10.0, (0.0, 100.0), None, decimals=1, n_counts="standards",
)  # fmt: skip
DERIVED_CODES = frozenset({STANDARDS_MET_CODE})
SERVICE_STANDARD_METRICS: tuple[MetricSpec, ...] = (WITHIN_STANDARD, STANDARDS_MET)
# entered only against a service standard: due only from departments that have one
STANDARD_ONLY_CODES = frozenset({WITHIN_STANDARD.code})

STANDARD_METRICS: tuple[MetricSpec, ...] = SURVEY_METRICS + OPERATIONAL_METRICS

CHANNELS: tuple[tuple[str, str], ...] = (
    ("web", "Web"),
    ("mobile", "Mobile"),
    ("phone", "Phone"),
    ("automated_phone", "Automated phone"),
    ("email", "E-mail"),
    ("chat", "Chat"),
    ("in_person", "In person"),
    ("mail", "Mail/paper"),
    ("social_media", "Social media"),
    ("kiosk", "Kiosk"),
    ("other", "Other"),
)

JOURNEY_STAGES: tuple[tuple[str, str], ...] = (
    ("awareness", "Awareness"),
    ("research", "Research"),
    ("apply", "Apply/purchase"),
    ("wait", "Wait/delivery"),
    ("use", "Use"),
    ("get_help", "Get help"),
    ("renew", "Renew/advocate"),
)

# A-11 files name channels their own way; map them onto the vocabulary.
A11_CHANNEL_ALIASES: dict[str, str] = {
    "computer": "web",
    "website": "web",
    "online": "web",
    "web": "web",
    "mobile": "mobile",
    "phone": "phone",
    "telephone": "phone",
    "automated_phone": "automated_phone",
    "email": "email",
    "chat": "chat",
    "in_person": "in_person",
    "in-person": "in_person",
    "mail": "mail",
    "paper": "mail",
    "postal_mail": "mail",
    "social_media": "social_media",
    "kiosk": "kiosk",
}
