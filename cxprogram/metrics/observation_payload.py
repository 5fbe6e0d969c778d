"""The plain data every observation write is made of, shared by its planners (the grid, the
file import and the API, the A-11 import) and the one service that writes it
(metrics/observation_writes.py). Dataclasses only: no Flask, no SQLAlchemy, no imports from
the features that plan, so each of them can import these without a cycle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

# (department id, metric id, period label, service id, channel id, source key)
Key = tuple[int, int, str, int | None, int | None, str]

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


@dataclass(frozen=True)
class PeriodInfo:
    """What row validation needs of an existing period."""

    id: int
    is_closed: bool


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
    labels: dict[str, object] = field(default_factory=dict)  # raw text -> label or error
    offered: dict[int, set[int]] = field(default_factory=dict)  # service id -> channel ids
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
