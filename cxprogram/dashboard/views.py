"""The organization dashboard, the department drill-down and the method page (SPEC 5).

Both data pages read the rollup document through the API's own function and filter
(dashboard.queries.rollup), so every number on them is the API's number for the same
snapshot, rounded for display only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, render_template
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response

from cxprogram.auth.models import Role
from cxprogram.core.lru import Lru
from cxprogram.core.permissions import (
    can_edit_department,
    can_read_department,
    published_department_ids,
    roles,
    signed_in,
)
from cxprogram.dashboard import downloads, figures, queries, reading, state, tables
from cxprogram.dashboard.links import Links
from cxprogram.org.models import Department
from cxprogram.org.queries import department_by_code, department_codes
from cxprogram.review import queries as review_queries
from cxprogram.review.models import ReviewState

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
READERS = (Role.CHIEF, Role.OFFICER, Role.VIEWER)  # admins read no department data (SPEC 2)
DASHBOARD_TABLES = ("metrics", "consistency", "heatmap", "waterfall", "moved", "effects",
                    "special")  # fmt: skip
DEPARTMENT_TABLES = ("scores", "series", "effects")
DEFAULT_METRIC = "satisfaction"
BODY_CACHE_SIZE = 32  # rendered dashboards (below the live snapshot note) kept per process
_bodies: Lru[str] = Lru(BODY_CACHE_SIZE)
# the macros (templates/dashboard/_macros.html) say numbers and states through reading.py
bp.record_once(lambda setup: setup.app.jinja_env.globals.update(cx_reading=reading))


@bp.app_template_global()
def strategy_effects(strategy_id: int) -> dict[str, Any] | None:
    """The strategy's effects in the latest rollup, for its own page (None without one)."""
    with_snapshot = queries.snapshot_periods()
    found = queries.rollup(with_snapshot[0], current_user) if with_snapshot else None
    if found is None:
        return None
    rows = tables.effect_rows(found.doc, strategy_id=strategy_id)
    return {"rows": rows, "period": found.doc["period"], "access": _openable(),
            "links": Links(found.doc["period"]),
            "doc": found.doc}  # fmt: skip


@bp.get("")
@roles(*READERS)
def view_dashboard() -> Response | str:
    """The organization's rollup for a period: scores, consistency, heatmap, what moved the
    overall score, strategy effects and special causes."""
    return render_dashboard()


def render_dashboard() -> Response | str:
    """The dashboard of the period the query string names (also the chief's and viewer's
    home page)."""
    asked = state.from_request()
    with_snapshot = queries.snapshot_periods()
    period = state.resolve_period(asked, with_snapshot)
    found = queries.rollup(period, current_user) if period is not None else None
    waiting = _waiting_plans()
    if found is None:
        return render_template("dashboard/view_dashboard.html", rollup=None, state=asked,
                               periods=with_snapshot, waiting=waiting)  # fmt: skip
    doc = found.doc
    metrics = tables.standard_metrics(doc)
    if asked.sort not in ("department", *metrics):
        abort(400, f"sort must be department or one of the metrics: {', '.join(metrics)}")
    metric = asked.metric or (DEFAULT_METRIC if DEFAULT_METRIC in doc["metrics"] else None)
    state.check_choice("metric", asked.metric, list(doc["metrics"]))
    access = _openable()
    if asked.format == "csv":
        page = _dashboard_parts(found, asked, metric, access)
        return _dashboard_csv(page, asked.table, doc["period"])
    scope = published_department_ids(current_user)
    key = (found.key, None if scope is None else frozenset(scope), access, asked, metric,
           tuple(p.label for p in with_snapshot))  # fmt: skip
    html = _bodies.get(key, lambda: render_template(
        "dashboard/_dashboard_body.html", rollup=found, doc=doc, state=asked,
        periods=with_snapshot, metric=metric, **_dashboard_parts(found, asked, metric, access),
    ))  # fmt: skip
    body = Markup(html)  # noqa: S704 - a template Jinja rendered with autoescaping
    return render_template("dashboard/view_dashboard.html", rollup=found, doc=doc,
                           body=body, reading=reading, waiting=waiting)  # fmt: skip


@dataclass(frozen=True)
class WaitingPlans:
    """The submitted plans of the current period, for the chief's landing page."""

    period: str | None
    count: int


def _waiting_plans() -> WaitingPlans | None:
    """For the chief (who decides): how many plans of the current period wait."""
    if current_user.role != Role.CHIEF:
        return None
    period = review_queries.current_period()
    if period is None:
        return WaitingPlans(None, 0)
    counts = review_queries.state_counts(period.id, current_user)
    return WaitingPlans(period.label, counts.get(ReviewState.SUBMITTED.value, 0))


def _dashboard_parts(
    found: queries.Rollup, asked: state.State, metric: str | None, access: Access
) -> dict[str, Any]:
    doc = found.doc
    columns, heat = tables.heatmap(doc, asked.sort, asked.order == "desc")
    consistency = tables.consistency_rows(doc)
    metric_rows = tables.metric_rows(doc)
    moved = tables.moved(doc, metric) if metric else None
    return {
        "metric_rows": metric_rows,
        "sparks": {r.code: figures.sparkline(found.key, r.code, r.name, r.spark)
                   for r in metric_rows},
        "consistency": consistency,
        "convergence": tables.convergence_summary(consistency),
        "heat_columns": columns,
        "heat_rows": tables.flat(heat),
        "heat_tree": heat,
        "moved": moved,
        "compared_with": tables.compared_with(doc, metric) if moved else None,
        "waterfall": figures.waterfall(found.key, moved, tables.compared_with(doc, metric),
                                       doc["period"]) if moved else None,
        "effects": tables.effect_rows(doc),
        "special": tables.special_causes(doc),
        "reading": reading,
        "access": access,
        "links": Links(doc["period"]),
    }  # fmt: skip


@dataclass(frozen=True)
class Access:
    """Which departments' own pages the reader may open from a number (by code)."""

    readable: frozenset[str]
    editable: frozenset[str]

    def reads(self, code: str) -> bool:
        """Whether the reader opens this department's strategies, plan and details."""
        return code in self.readable

    def edits(self, code: str) -> bool:
        """Whether the reader opens this department's data-entry grid."""
        return code in self.editable


def _openable() -> Access:
    """What the signed-in reader may open, decided by core.permissions' own functions."""
    codes = department_codes()
    return Access(
        frozenset(c for i, c in codes.items() if can_read_department(current_user, i)),
        frozenset(c for i, c in codes.items() if can_edit_department(current_user, i)),
    )


def _dashboard_csv(page: dict[str, Any], table: str | None, period: str) -> Response:
    state.check_choice("table", table or "", DASHBOARD_TABLES)
    assert table is not None
    builders = {
        "metrics": lambda: downloads.metrics_table(page["metric_rows"], period),
        "consistency": lambda: downloads.consistency_table(page["consistency"]),
        "heatmap": lambda: downloads.heatmap_table(page["heat_columns"], page["heat_tree"]),
        "waterfall": lambda: downloads.waterfall_table(_need(page["moved"])),
        "moved": lambda: downloads.moved_table(_need(page["moved"])),
        "effects": lambda: downloads.effects_table(page["effects"]),
        "special": lambda: downloads.special_table(page["special"]),
    }
    return downloads.csv_response(builders[table](), f"dashboard-{period}-{table}.csv")


def _need(value: Any) -> Any:
    if value is None:
        abort(404, "This period has no previous period to compare with.")
    return value


@bp.get("/departments/<code>")
@roles(*READERS)
def view_department(code: str) -> Response | str:
    """One department's scores against targets and the organization, its series as XmR
    charts, and (for readers of its details) services, reds, strategies and plan review."""
    asked = state.from_request()
    dept = _published_department(code)
    with_snapshot = queries.snapshot_periods()
    period = state.resolve_period(asked, with_snapshot)
    found = queries.rollup(period, current_user) if period is not None else None
    if found is None or period is None:
        abort(404, "No rollup has been computed yet.")
    doc = found.doc
    scores = tables.department_scores(doc, dept.code)
    state.check_choice("metric", asked.metric, [r.code for r in scores])
    effects = tables.effect_rows(doc, department=dept.code)
    if asked.format == "csv":
        return _department_csv(found, dept, scores, effects, asked)
    details = can_read_department(current_user, dept.id)
    return render_template(
        "dashboard/view_department.html", rollup=found, doc=doc, state=asked, department=dept,
        periods=with_snapshot, scores=scores, effects=effects, reading=reading,
        charts={r.code: figures.xmr(found.key, doc, dept.code, r,
                                    doc["metrics"][r.code].get("variation")) for r in scores},
        series={r.code: _series(doc, r) for r in scores},
        details=details, access=_openable(), links=Links(doc["period"]),
        **(_details(dept, period) if details else {}),
    )  # fmt: skip


def _published_department(code: str) -> Department:
    """The department of the URL (404) whose published figures the reader sees (403)."""
    dept = department_by_code(code)
    if dept is None:
        abort(404, f"No department {code}.")
    published = published_department_ids(current_user)
    if published is not None and dept.id not in published:
        abort(403)
    return dept


def _series(doc: dict[str, Any], row: tables.ScoreRow) -> list[tuple[str, Any, Any]]:
    org = dict(tables.series(doc, doc["metrics"][row.code].get("variation")))
    return [(p, v, org.get(p)) for p, v in tables.series(doc, row.variation)]


def _details(dept: Department, period: Any) -> dict[str, Any]:
    """What only readers of the department's details see (SPEC 2): its observations by
    service and channel, the notes explaining its reds, its strategies and plan review."""
    return {
        "observations": queries.department_breakdown(dept.id, period.id),
        "reds": queries.red_explanations(dept.id, period.id),
        "strategies": queries.plan_strategies(dept, period),
        "review": queries.plan_review(dept.id, period.id),
        "history": queries.plan_history(dept.id, period.label),
    }


def _department_csv(
    found: queries.Rollup, dept: Department, scores: list[tables.ScoreRow],
    effects: list[tables.EffectRow], asked: state.State,
) -> Response:  # fmt: skip
    table = asked.table or ""
    state.check_choice("table", table, DEPARTMENT_TABLES)
    period = found.doc["period"]
    if table == "scores":
        data = downloads.scores_table(scores, period)
    elif table == "effects":
        data = downloads.effects_table(effects)
    else:
        chosen = [r for r in scores if asked.metric in (None, r.code)]
        points = [(r.code, p, v, o) for r in chosen for p, v, o in _series(found.doc, r)]
        data = downloads.series_table(points)
    return downloads.csv_response(data, f"{dept.code}-{period}-{table}.csv")


@bp.get("/method")
@signed_in
def view_method() -> str:
    """How the rollup is computed, in plain words (SPEC 4 without the notation)."""
    return render_template("dashboard/view_method.html")
