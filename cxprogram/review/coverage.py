"""Touchpoint coverage: a journey stage x channel matrix of the active strategies that
target each touchpoint, and the touchpoints where services are offered but no strategy
works (the gaps); a CSV of the same cells. Filters are in the query string.

Scope (SPEC 2): the matrix shows the departments the user reads in full
(``limit_to_readable``). Officers therefore see their own departments only: the touchpoints
another department's strategies target are not among what the rollup and the quarterly
report publish of it (scores, consistency, effects with the strategy's title).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Response, abort, render_template, request
from flask_login import current_user

from cxprogram.auth.models import Role
from cxprogram.core.models import utcnow
from cxprogram.core.permissions import can_read_department, readable_department_ids, roles
from cxprogram.exports.formats import csv_attachment
from cxprogram.extensions import db
from cxprogram.org import queries as org_queries
from cxprogram.review import queries
from cxprogram.review.blueprint import bp
from cxprogram.review.calc import Coverage, CoverageCell, compute_coverage
from cxprogram.strategies.queries import departments_query

READERS = (Role.CHIEF, Role.OFFICER, Role.VIEWER)
CSV_COLUMNS = (
    "journey_stage", "channel", "services", "departments_with_services", "strategies",
    "strategy_titles", "gap", "departments_without_own_strategy",
)  # fmt: skip


@dataclass(frozen=True)
class CoverageArgs:
    """The page's state as the query string holds it (codes; blank means any)."""

    department: str = ""
    channel: str = ""
    stage: str = ""
    show: str = "all"  # all, or gaps: only the touchpoints with services and no strategy


def _args() -> tuple[CoverageArgs, queries.CoverageFilter]:
    """The filters of the query string; 400 naming a value that is not a known code."""
    get = request.args.get
    args = CoverageArgs(get("department", "").strip().upper(), get("channel", "").strip(),
                        get("stage", "").strip(), get("show", "all").strip() or "all")  # fmt: skip
    if args.show not in ("all", "gaps"):
        abort(400, "show must be all or gaps")
    ids: dict[str, int | None] = {"department": None, "channel": None, "stage": None}
    lookups = {
        "department": {code: i for i, code in org_queries.department_codes().items()},
        "channel": {c.code: c.id for c in org_queries.channels()},
        "stage": {s.code: s.id for s in org_queries.journey_stages()},
    }
    for name, known in lookups.items():
        value = getattr(args, name)
        if value and value not in known:
            abort(400, f"{name} {value!r} is not a known code")
        ids[name] = known.get(value) if value else None
    if ids["department"] is not None and not can_read_department(current_user, ids["department"]):
        abort(403)
    return args, queries.CoverageFilter(ids["department"], ids["channel"], ids["stage"])


def build_coverage(filters: queries.CoverageFilter) -> Coverage:
    """The matrix for these filters, over the departments the user reads in full."""
    stages = [(s.id, s.name) for s in org_queries.journey_stages()
              if filters.stage_id in (None, s.id)]  # fmt: skip
    channels = [(c.id, c.name) for c in org_queries.channels()
                if filters.channel_id in (None, c.id)]  # fmt: skip
    return compute_coverage(
        stages, channels, queries.coverage_targets(filters, current_user),
        queries.coverage_services(filters, current_user),
    )  # fmt: skip


@bp.route("/coverage")
@roles(*READERS)
def view_coverage() -> str:
    """The journey stage x channel matrix with its gaps, filtered by the query string."""
    args, filters = _args()
    return render_template(
        "review/view_coverage.html", args=args, coverage=build_coverage(filters),
        departments=db.session.scalars(departments_query(current_user)).all(),
        channels=org_queries.channels(), stages=org_queries.journey_stages(),
        is_scoped=readable_department_ids(current_user) is not None,
        computed_at=utcnow(), query=_query(args),
    )  # fmt: skip


@bp.route("/coverage.csv")
@roles(*READERS)
def download_coverage() -> Response:
    """The matrix's cells as CSV, one row per touchpoint, with the same filters."""
    args, filters = _args()
    coverage = build_coverage(filters)
    rows = []
    for stage_id, stage in coverage.stages:
        for channel_id, channel in coverage.channels:
            cell = coverage.cell(stage_id, channel_id)
            if args.show == "all" or cell.is_gap:
                rows.append(_csv_cells(stage, channel, cell))
    for channel_id, channel in coverage.channels:
        row = coverage.unstaged.get(channel_id)
        if row is not None and (args.show == "all" or row.is_gap):
            rows.append(_csv_cells("(not recorded)", channel, row))
    return csv_attachment(CSV_COLUMNS, rows, "touchpoint-coverage.csv")


def _query(args: CoverageArgs) -> dict[str, str]:
    """The filters as query parameters (the CSV link keeps the page's state)."""
    pairs = {"department": args.department, "channel": args.channel, "stage": args.stage}
    return {k: v for k, v in pairs.items() if v} | ({"show": "gaps"} if args.show == "gaps" else {})


def _csv_cells(stage: str, channel: str, cell: CoverageCell) -> list[object]:
    return [
        stage, channel, cell.services,
        "; ".join(f"{code} ({n})" for code, n in sorted(cell.service_departments.items())),
        len(cell.strategies),
        "; ".join(f"{s.department}: {s.title}" for s in cell.strategies),
        "gap" if cell.is_gap else "", "; ".join(cell.uncovered_departments),
    ]  # fmt: skip
