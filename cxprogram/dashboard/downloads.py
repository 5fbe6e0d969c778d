"""CSV downloads of the dashboard's tables: the rows the page shows, numbers at full
precision (the page rounds them for reading)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Response

from cxprogram.dashboard.tables import (
    ConsistencyRow,
    EffectRow,
    HeatRow,
    MetricRow,
    Moved,
    ScoreRow,
    SpecialCause,
    flat,
)
from cxprogram.exports.formats import CSV_TYPE, to_csv

Table = tuple[list[str], list[Sequence[Any]]]
VARIATION = ["variation", "rule", "side", "assurance"]


def _variation(v: Any) -> list[Any]:
    return [v.get("variation"), v.get("rule"), v.get("side"), v.get("assurance")]


def metrics_table(rows: list[MetricRow], period: str) -> Table:
    """The standard metrics' overall figures."""
    columns = ["metric", "name", "period", "org_score", "change", "target", "n_departments"]
    return [*columns, *VARIATION], [
        [r.code, r.name, period, r.org_score, r.change, r.target, r.n_departments,
         *_variation(r.variation)] for r in rows
    ]  # fmt: skip


def consistency_table(rows: list[ConsistencyRow]) -> Table:
    """Consistency shares and convergence."""
    columns = ["metric", "name", "consistency", "consistency_change", "cv", "cv_change",
               "tolerance", "n_departments", "counted_in_index", "convergence"]  # fmt: skip
    return columns, [
        [r.code, r.name, r.consistency, r.consistency_change, r.cv, r.cv_change, r.tolerance,
         r.n_departments, "yes" if r.counted else "no", r.words] for r in rows
    ]  # fmt: skip


def heatmap_table(columns: list[str], rows: list[HeatRow]) -> Table:
    """Departments x metrics: score, status and variation per cell."""
    header = ["department", "name", "parent"]
    for m in columns:
        header += [f"{m} score", f"{m} status", f"{m} variation"]
    out: list[Sequence[Any]] = []
    for row, _ in flat(rows):
        values: list[Any] = [row.code, row.name, row.parent]
        for m in columns:
            cell = row.cells.get(m)
            values += ([cell.score, cell.status, cell.variation.get("variation")]
                       if cell else [None, None, None])  # fmt: skip
        out.append(values)
    return header, out


def waterfall_table(moved: Moved) -> Table:
    """The waterfall's bars: start, parts, end."""
    rows: list[Sequence[Any]] = [["start (previous period)", moved.start]]
    rows += [[p.label, p.value] for p in moved.parts]
    rows.append(["end (this period)", moved.end])
    return ["part", "value"], rows


def moved_table(moved: Moved) -> Table:
    """Each department's rate, mix and total part."""
    return ["department", "rate", "mix", "total"], [list(row) for row in moved.departments]


def effects_table(rows: list[EffectRow]) -> Table:
    """Strategy effects with what they rest on and the verdict."""
    fields = ["strategy_id", "department", "metric", "effective_period", "pre", "post",
              "control_pre", "control_post", "pre_periods", "post_periods", "effect",
              "compared_departments", "unusual", "weight", "contribution", "status"]  # fmt: skip
    header = ["strategy_id", "title", "department", "department_name", *fields[2:], "verdict"]
    out: list[Sequence[Any]] = []
    for r in rows:
        e = r.effect
        out.append([e["strategy_id"], r.title, r.department, r.department_name,
                    *[e.get(f) for f in fields[2:]], r.verdict])  # fmt: skip
    return header, out


def special_table(rows: list[SpecialCause]) -> Table:
    """Departments whose latest value is a special cause."""
    return ["department", "name", "metric", "score", *VARIATION], [
        [s.department, s.department_name, s.metric, s.score, *_variation(s.variation)] for s in rows
    ]


def scores_table(rows: list[ScoreRow], period: str) -> Table:
    """A department's scores against target and organization."""
    header = ["metric", "name", "period", "score", "n", "weight", "status", "target",
              "org_score", "vs_org"]  # fmt: skip
    return [*header, *VARIATION], [
        [r.code, r.name, period, r.score, r.n, r.weight, r.status, r.target, r.org_score,
         r.vs_org, *_variation(r.variation)] for r in rows
    ]  # fmt: skip


def series_table(points: list[tuple[str, str, float | None, float | None]]) -> Table:
    """Series behind the XmR charts: metric, period, department value, organization value."""
    return ["metric", "period", "department", "organization"], [list(p) for p in points]


def csv_response(table: Table, filename: str) -> Response:
    """The table as a CSV attachment."""
    columns, rows = table
    response = Response(to_csv(columns, rows), mimetype=CSV_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
