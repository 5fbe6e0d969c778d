"""The data-entry grid as the page shows it: rows grouped by metric, each value at the
metric's precision (what the person typed when the page comes back), the department's
pooled score per metric, and why a red row needs no note when that score is not red
(SPEC 4.5). No queries: it shapes the rows `metrics.queries.grid_rows` read."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from cxprogram.metrics.calc import PooledCell, compute_pooled_score, parse_number
from cxprogram.metrics.display import format_full
from cxprogram.metrics.entry import Submitted
from cxprogram.metrics.models import MetricDefinition
from cxprogram.metrics.queries import GridRow, metric_rule


@dataclass(frozen=True)
class ShownRow:
    """A grid row as the page shows it: the stored values, or what the person typed."""

    row: GridRow
    value: str
    n: str
    note: str
    version: str
    was: str
    saved: tuple[str, str, str]  # the stored values as shown: what "unsaved" compares with
    status: str | None
    errors: dict[str, str]
    explain: str = ""  # why a red row needs no note (its department's score is not red)

    @property
    def previous(self) -> str:
        """The previous period's value of this row at the metric's precision, or "none"."""
        return self.row.metric.shown(self.row.previous) or "none"


@dataclass(frozen=True)
class MetricGroup:
    """One metric's rows, with the department's pooled score over them."""

    metric: MetricDefinition
    rows: list[ShownRow]
    score: float | None
    status: str | None
    counted: int

    @property
    def score_text(self) -> str:
        """The pooled score at the metric's precision, or "none"."""
        return self.metric.shown(self.score) or "none"


def _stored(row: GridRow) -> Submitted:
    obs = row.observation
    if obs is None:
        return Submitted("", "", "", "")
    value = row.metric.shown(obs.value)
    return Submitted(value, format_full(obs.n), obs.note, str(obs.version))


def _number(text: str) -> float | None:
    try:
        return parse_number(text)
    except ValueError:
        return None


def shown_row(row: GridRow, sent: Submitted | None, errors: dict[str, str]) -> ShownRow:
    """One row with what the person typed (or the stored values) and its own status."""
    stored = _stored(row)
    sent = sent or stored
    was = json.dumps(list(sent.was or (sent.value, sent.n, sent.note)))
    status = row.rule.status(_number(sent.value))
    saved = (stored.value, stored.n, stored.note)
    return ShownRow(row, sent.value, sent.n, sent.note, sent.version, was, saved, status, errors)


def metric_groups(rows: list[ShownRow]) -> list[MetricGroup]:
    """The rows grouped by metric, in the grid's order, each with its pooled score."""
    by_metric: dict[int, list[ShownRow]] = {}
    for shown in rows:
        by_metric.setdefault(shown.row.metric.id, []).append(shown)
    return [_group(members) for members in by_metric.values()]


def _group(members: list[ShownRow]) -> MetricGroup:
    metric = members[0].row.metric
    rule = metric_rule(metric)  # the department's score: the metric's own target
    cells = []
    for s in members:
        value = _number(s.value)
        if value is not None:
            cells.append(PooledCell(s.row.key, s.row.label, value, _number(s.n), s.note, False))
    score = compute_pooled_score(cells, rule.aggregation)
    status = rule.status(score)
    if status != "red" and score is not None:
        members = [_explained(s, metric, score, status) for s in members]
    return MetricGroup(metric, members, score, status, len(cells))


def _explained(
    shown: ShownRow, metric: MetricDefinition, score: float, status: str | None
) -> ShownRow:
    """A red row of a department whose pooled score is not red says why no note is due."""
    if shown.status != "red" or shown.note.strip():
        return shown
    standing = f"{status}" if status else "not judged"
    text = (
        f"No note is due: the department's score on {metric.name}, pooled over all its rows, "
        f"is {metric.shown(score)} ({standing}), and that score decides whether a red needs "
        "an explanation."
    )
    return replace(shown, explain=text)
