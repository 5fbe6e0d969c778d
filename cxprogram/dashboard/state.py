"""The dashboard's state in the query string: period, metric, sort, order, format, table.

Every value is checked here, so an odd argument is a 400 (malformed) or 404 (well formed,
but no such thing) page, never a 500.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from flask import abort, request

from cxprogram.core.fiscal import LABEL_RE, PeriodLabelError, parse_period
from cxprogram.metrics.models import ReportingPeriod
from cxprogram.metrics.queries import period_by_label

LATEST = "latest"
ORDERS = ("asc", "desc")
FORMATS = ("html", "csv")


@dataclass(frozen=True)
class State:
    """What a dashboard URL asks for (None: the default)."""

    period: str | None
    metric: str | None
    sort: str
    order: str
    format: str
    table: str | None

    def args(self, **changes: Any) -> dict[str, str]:
        """Query arguments for a link to this state with some values changed (defaults
        left out, so links stay short)."""
        state = replace(self, **changes)
        args = {"period": state.period, "metric": state.metric,
                "sort": None if state.sort == "department" else state.sort,
                "order": None if state.order == "asc" else state.order,
                "format": None if state.format == "html" else state.format,
                "table": state.table}  # fmt: skip
        return {k: v for k, v in args.items() if v}


def from_request() -> State:
    """The state the request's query string names (400 for a malformed value)."""
    args = request.args
    order = _text("order") or "asc"
    fmt = _text("format") or "html"
    if order not in ORDERS:
        abort(400, f"order must be one of: {', '.join(ORDERS)}")
    if fmt not in FORMATS:
        abort(400, f"format must be one of: {', '.join(FORMATS)}")
    period = _text("period")
    if period and period.lower() != LATEST:
        period = _label(period)
    return State(period if period and period.lower() != LATEST else None,
                 _text("metric"), _text("sort") or "department", order, fmt,
                 _text("table") if args.get("table") else None)  # fmt: skip


def _text(name: str) -> str | None:
    value = request.args.get(name, "").strip()
    if len(value) > 80:
        abort(400, f"{name} is too long")
    return value or None


def _label(raw: str) -> str:
    """A period label normalised; 400 when malformed, 404 for an impossible one."""
    try:
        return parse_period(raw).label
    except PeriodLabelError as error:
        abort(404 if LABEL_RE.match(raw.upper()) else 400, str(error))


def resolve_period(state: State, with_snapshot: list[ReportingPeriod]) -> ReportingPeriod | None:
    """The period asked for (the latest with a snapshot by default; None when there is
    none at all); 404 for a period that does not exist or has no rollup yet."""
    if state.period is None:
        return with_snapshot[0] if with_snapshot else None
    period = period_by_label(state.period)
    if period is None:
        abort(404, f"No reporting period {state.period}.")
    if all(p.id != period.id for p in with_snapshot):
        abort(404, f"No rollup of {state.period} yet: the nightly job computes it.")
    return period


def check_choice(name: str, value: str | None, allowed: list[str] | tuple[str, ...]) -> None:
    """404 when a metric, sort column or table is not one the page has."""
    if value is not None and value not in allowed:
        abort(404, f"This page has no {name} {value!r}.")
