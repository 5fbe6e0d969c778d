"""The dashboard's tables, laid out from one rollup document (the API's). Pure.

Every function takes the document as GET /api/v1/rollups/{period} returns it (already
limited to what the reader may see) and returns rows of plain values; the templates and
the CSV downloads both render these rows, so a page and its download never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cxprogram.admin.calc import tight_name
from cxprogram.dashboard import reading

Doc = Mapping[str, Any]
SPARK_PERIODS = 8
WATERFALL_PARTS = 8  # named parts; the rest are grouped as "other departments"


def metric_name(doc: Doc, code: str) -> str:
    """A metric's name (its code when the document names none)."""
    return str(doc["metrics"].get(code, {}).get("name") or code)


def department_name(doc: Doc, code: str) -> str:
    """A department's name (its code when the document names none)."""
    return str(doc.get("departments", {}).get(code, {}).get("name") or code)


def department_tight_name(doc: Doc, code: str) -> str:
    """What a tight table shows for a department: its short name, else its code."""
    return tight_name(code, doc.get("departments", {}).get(code, {}).get("short_name"))


def standard_metrics(doc: Doc) -> list[str]:
    """The standard metrics with data in the document, in document order."""
    return [c for c, b in doc["metrics"].items() if b.get("is_standard", True)]


def series(
    doc: Doc, variation: Mapping[str, Any] | None, last: int | None = None
) -> list[tuple[str, float | None]]:
    """(period, value) pairs of a series aligned with the document's periods."""
    labels = list(doc.get("periods") or [doc["period"]])
    values = list((variation or {}).get("values") or [None] * len(labels))
    pairs = list(zip(labels, values, strict=False))
    return pairs[-last:] if last else pairs


@dataclass(frozen=True)
class MetricRow:
    """One standard metric's overall figures."""

    code: str
    name: str
    unit: str | None
    org_score: float | None
    change: float | None
    target: float | None
    n_departments: int
    variation: Mapping[str, Any]
    spark: list[tuple[str, float | None]]


def metric_rows(doc: Doc) -> list[MetricRow]:
    """Each standard metric: score, change from the previous period, trend, variation."""
    rows = []
    for code in standard_metrics(doc):
        block = doc["metrics"][code]
        decomposition = block.get("decomposition") or {}
        rows.append(MetricRow(
            code, metric_name(doc, code), block.get("unit"), block.get("org_score"),
            decomposition.get("delta"), block.get("target"), int(block.get("n_departments") or 0),
            block.get("variation") or {}, series(doc, block.get("variation"), SPARK_PERIODS),
        ))  # fmt: skip
    return rows


@dataclass(frozen=True)
class ConsistencyRow:
    """One metric's consistency share and whether departments converge."""

    code: str
    name: str
    consistency: float | None
    consistency_change: float | None
    cv: float | None
    cv_change: float | None
    tolerance: float | None
    n_departments: int
    counted: bool
    words: str


def consistency_rows(doc: Doc) -> list[ConsistencyRow]:
    """The standard metrics' consistency and convergence (SPEC 4.4)."""
    counted = set((doc.get("consistency_coverage") or {}).get("metrics") or [])
    rows = []
    for code in standard_metrics(doc):
        block = doc["metrics"][code]
        conv = block.get("convergence") or {}
        cv_change, share_change = conv.get("cv_change"), conv.get("consistency_change")
        rows.append(ConsistencyRow(
            code, metric_name(doc, code), block.get("consistency"), share_change,
            block.get("cv"), cv_change, block.get("tolerance"),
            int(block.get("n_departments") or 0),
            block.get("counted_in_index", code in counted),
            reading.convergence_words(cv_change, share_change),
        ))  # fmt: skip
    return rows


def convergence_summary(rows: list[ConsistencyRow]) -> str:
    """How many metrics converge and diverge, in words."""
    closer = sum(r.words.startswith("converging") for r in rows)
    apart = sum(r.words.startswith("diverging") for r in rows)
    return (f"Departments are converging on {closer} and diverging on {apart} of the "
            f"{len(rows)} standard metrics, compared with the previous period.")  # fmt: skip


@dataclass(frozen=True)
class Cell:
    """One department's score on one metric."""

    metric: str
    score: float | None
    status: str | None
    variation: Mapping[str, Any]


@dataclass(frozen=True)
class HeatRow:
    """A department's row of the heatmap; children are listed under their parent."""

    code: str
    name: str
    parent: str | None
    cells: dict[str, Cell]
    children: list[HeatRow] = field(default_factory=list)
    tight: str = ""  # the tight table's name: short name, else code


def heatmap(doc: Doc, sort: str, descending: bool) -> tuple[list[str], list[HeatRow]]:
    """The metric columns and the department rows, sorted by `sort` (a metric code or
    "department"), children grouped under their parents (each group sorted the same way)."""
    columns = standard_metrics(doc)
    codes = sorted({d for m in columns for d in doc["metrics"][m]["departments"]})
    rows = {c: _heat_row(doc, c, columns) for c in codes}
    top = [r for r in rows.values() if r.parent not in rows]
    for row in rows.values():
        if row.parent in rows:
            rows[row.parent].children.append(row)
    for row in rows.values():
        row.children[:] = _sorted(row.children, sort, descending)
    return columns, _sorted(top, sort, descending)


def _heat_row(doc: Doc, code: str, columns: list[str]) -> HeatRow:
    cells = {}
    for m in columns:
        entry = doc["metrics"][m]["departments"].get(code)
        if entry is not None:
            cells[m] = Cell(
                m, entry.get("score"), entry.get("status"), entry.get("variation") or {}
            )
    parent = doc.get("departments", {}).get(code, {}).get("parent")
    return HeatRow(code, department_name(doc, code), parent, cells,
                   tight=department_tight_name(doc, code))  # fmt: skip


def _sorted(rows: list[HeatRow], sort: str, descending: bool) -> list[HeatRow]:
    """Rows by name, or by their score on a metric; rows without that score come last."""
    if sort == "department":
        return sorted(rows, key=lambda r: (r.tight.lower(), r.code), reverse=descending)
    scored = [r for r in rows if sort in r.cells and r.cells[sort].score is not None]
    has_score = {r.code for r in scored}
    unscored = sorted((r for r in rows if r.code not in has_score), key=lambda r: r.code)
    scored.sort(key=lambda r: (r.cells[sort].score, r.code), reverse=descending)
    return scored + unscored


def flat(rows: list[HeatRow], level: int = 0) -> list[tuple[HeatRow, int]]:
    """The rows in display order with their depth: each parent followed by its children."""
    out = []
    for row in rows:
        out.append((row, level))
        out.extend(flat(row.children, level + 1))
    return out


@dataclass(frozen=True)
class Part:
    """One bar of the waterfall: a department's rate or mix part, or the grouped rest."""

    label: str
    value: float
    department: str | None
    kind: str  # "rate", "mix" or "other"


@dataclass(frozen=True)
class Moved:
    """What moved a metric's overall score between the previous period and this one."""

    metric: str
    name: str
    start: float
    end: float
    delta: float
    rate: float
    mix: float
    parts: list[Part]
    departments: list[tuple[str, float, float, float]]  # code, rate, mix, total
    sentence: str


def moved(doc: Doc, code: str) -> Moved | None:
    """The shift-share decomposition of one metric (SPEC 4.6), largest parts first."""
    block = doc["metrics"][code]
    dec = block.get("decomposition")
    if not dec or block.get("org_score") is None:
        return None
    entries = dec["departments"]
    departments = sorted(
        ((c, e["rate"], e["mix"], e["total"]) for c, e in entries.items()),
        key=lambda row: (-abs(row[3]), row[0]),
    )
    candidates = [Part(f"{c} service", r, c, "rate") for c, r, _, _ in departments]
    candidates += [Part(f"{c} customer mix", m, c, "mix") for c, _, m, _ in departments]
    candidates.sort(key=lambda p: (-abs(p.value), p.label))
    named, rest = candidates[:WATERFALL_PARTS], candidates[WATERFALL_PARTS:]
    if rest:
        named.append(Part(f"other departments ({len(rest)} parts)",
                          sum(p.value for p in rest), None, "other"))  # fmt: skip
    end, delta = float(block["org_score"]), float(dec["delta"])
    name = metric_name(doc, code)
    rates = {c: r for c, r, _, _ in departments}
    sentence = reading.moved_sentence(name, delta, dec["rate"], dec["mix"], rates)
    return Moved(code, name, end - delta, end, delta, dec["rate"], dec["mix"], named,
                 departments, sentence)  # fmt: skip


@dataclass(frozen=True)
class EffectRow:
    """A strategy's estimated effect with everything it rests on."""

    effect: Mapping[str, Any]
    department: str
    department_name: str
    title: str
    metric_name: str
    verdict: str
    unusual: str
    periods: str


def effect_rows(
    doc: Doc, department: str | None = None, strategy_id: int | None = None
) -> list[EffectRow]:
    """The strategy effects of the document (one department's or one strategy's only)."""
    rows = []
    for e in doc.get("strategy_effects") or []:
        if department is not None and e["department"] != department:
            continue
        if strategy_id is not None and e["strategy_id"] != strategy_id:
            continue
        rows.append(EffectRow(
            e, e["department"], e.get("department_name") or department_name(doc, e["department"]),
            e.get("title") or f"Strategy {e['strategy_id']}", metric_name(doc, e["metric"]),
            reading.effect_verdict(e), reading.unusual_words(e), reading.periods_used(e),
        ))  # fmt: skip
    return rows


@dataclass(frozen=True)
class SpecialCause:
    """A department whose latest value is a special cause on a metric."""

    department: str
    department_name: str
    metric: str
    metric_name: str
    score: float | None
    variation: Mapping[str, Any]


def special_causes(doc: Doc) -> list[SpecialCause]:
    """Departments whose latest value is a special cause (SPEC 4.9), concerns first."""
    found = []
    for m, block in doc["metrics"].items():
        for d, entry in block["departments"].items():
            variation = entry.get("variation") or {}
            if reading.is_special_cause(variation):
                found.append(SpecialCause(d, department_name(doc, d), m, metric_name(doc, m),
                                          entry.get("score"), variation))  # fmt: skip
    order = {"concern": 0, "improvement": 1}
    return sorted(found, key=lambda s: (order[s.variation["variation"]], s.department, s.metric))


@dataclass(frozen=True)
class ScoreRow:
    """A department's score on one metric against the target and the organization."""

    code: str
    name: str
    score: float | None
    n: float | None
    weight: float | None
    status: str | None
    target: float | None
    org_score: float | None
    vs_org: float | None
    variation: Mapping[str, Any]


def department_scores(doc: Doc, department: str) -> list[ScoreRow]:
    """Every metric the department has a score on, against target and organization."""
    rows = []
    for m, block in doc["metrics"].items():
        entry = block["departments"].get(department)
        if entry is None:
            continue
        score, org = entry.get("score"), block.get("org_score")
        vs_org = None if score is None or org is None else score - org
        rows.append(ScoreRow(
            m, metric_name(doc, m), score, entry.get("n"), entry.get("weight"),
            entry.get("status"), block.get("target"), org, vs_org, entry.get("variation") or {},
        ))  # fmt: skip
    return rows
