"""The plain data every observation write is made of, shared by its planners (the grid, the
file import and the API, the A-11 import) and the one service that writes it
(metrics/observation_writes.py). Dataclasses only: no Flask, no SQLAlchemy, no imports from
the features that plan, so each of them can import these without a cycle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

# (department id, metric id, period label, service id, channel id, source key, standard id,
# month): the month (calendar 1..12) is a monthly metric's, None for the others
Key = tuple[int, int, str, int | None, int | None, str, int | None, int | None]

# An observation's source key (`key`: the source's own record id, which keeps rows apart)
# and its label (what the row is, e.g. a standard's text): one line each, within a limit.
KEY_MAX_CHARS = 80
LABEL_MAX_CHARS = 200
TEXT_LIMITS = {"key": KEY_MAX_CHARS, "label": LABEL_MAX_CHARS}
_CONTROL = re.compile("[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class ObservationRow:
    """One row to write, resolved to ids. `n` is kept as stored when `has_n` is False and
    `note` when it is None; `distribution` (answer counts) is set only by the A-11 import."""

    number: int
    key: Key
    value: float
    n: float | None
    note: str | None
    has_n: bool
    distribution: list[int] | None = None
    label: str | None = None  # None keeps the stored label


@dataclass(frozen=True, slots=True)
class Existing:
    """A stored observation as planning saw it (its version guards the update)."""

    id: int
    value: float
    n: float | None
    note: str
    version: int
    distribution: list[int] | None = None
    label: str = ""


@dataclass(frozen=True)
class MetricInfo:
    """What row validation needs of a metric."""

    id: int
    code: str
    scale_min: float | None
    scale_max: float | None
    owner_department_id: int | None
    unit: str = ""
    frequency: str = "quarterly"


@dataclass(frozen=True)
class PeriodInfo:
    """What row validation needs of an existing period."""

    id: int
    is_closed: bool


@dataclass(frozen=True)
class StandardInfo:
    """What row validation needs of a service standard (SPEC 3)."""

    id: int
    code: str
    service_id: int
    metric_id: int
    target: float
    is_retired: bool


def standard_refusal(
    standard: StandardInfo, service_id: int | None, metric_id: int, is_new: bool
) -> str | None:
    """Why a row may not name this standard (None when it may), in the same words on every
    path: the standard belongs to the row's service, is on the row's metric, and a new row
    may not name a retired one (older rows keep theirs)."""
    if service_id != standard.service_id:
        return f"the standard '{standard.code}' belongs to another service than the row's"
    if metric_id != standard.metric_id:
        return f"the standard '{standard.code}' is on another metric than the row's"
    if is_new and standard.is_retired:
        return f"the standard '{standard.code}' is retired: new values may not name it"
    return None


@dataclass
class Lookups:
    """Every name a row may use, mapped to ids; `editable` None means every department."""

    departments: dict[str, int]
    metrics: dict[str, MetricInfo]
    periods: dict[str, PeriodInfo]
    services: dict[tuple[int, str], int]
    channels: dict[str, int]
    editable: set[int] | None
    start_month: int
    today: date
    # (raw text, frequency, month) -> (label, month) or error
    labels: dict[tuple[str, str, int | None], object] = field(default_factory=dict)
    offered: dict[int, set[int]] = field(default_factory=dict)  # service id -> channel ids
    standards: dict[str, StandardInfo] = field(default_factory=dict)  # code (lower) -> standard
    retired_channels: dict[int, str] = field(default_factory=dict)  # id -> name


def is_offered(offered: dict[int, set[int]], service_id: int | None, channel: int | None) -> bool:
    """True unless the row names a service and a channel that service is not offered
    through. A department-level row, a service's row for all channels, and a service that
    names no channels yet (nothing to hold the row against) always are."""
    if service_id is None or channel is None:
        return True
    channels = offered.get(service_id)
    return not channels or channel in channels


def text_problem(field: str, text: str) -> str | None:
    """Why a source key or a label (`field`) is refused, the same words on every path (file
    import, API), or None: longer than its limit, or holding a control character (a line
    break, a tab, NUL)."""
    limit = TEXT_LIMITS[field]
    if len(text) > limit:
        return f"longer than {limit} characters, the limit of an observation's {field}"
    found = _CONTROL.search(text)
    if found is not None:
        return f"contains a control character ({found.group()!r}); a {field} is one line of text"
    return None


def not_offered_reason(service: str, channel: str) -> str:
    """Why such a row is refused, in the same words on every path (grid, import, API)."""
    return (
        f"the service '{service}' is not offered through the channel '{channel}': add the "
        "channel to the service first, or leave the channel empty"
    )


@dataclass
class ObservationPayload:
    """Prepared writes: rows to insert, rows to update (with what planning saw), periods to
    create (open, with the fiscal year starting in `start_month`)."""

    adds: list[ObservationRow] = field(default_factory=list)
    changes: list[tuple[ObservationRow, Existing]] = field(default_factory=list)
    same: int = 0
    stored: dict[int, Existing] = field(default_factory=dict)  # row number -> what is stored
    new_periods: set[str] = field(default_factory=set)
    start_month: int | None = None
    lookups: Lookups | None = None  # the file import's names, for its preview
