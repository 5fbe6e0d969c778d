"""What the quarterly report says, as plain data for its templates: computed from one rollup
snapshot's document and the facts read beside it (queries.ReportFacts). Pure: no Flask, no
database, no clock (the time the report is made is given)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cxprogram.dashboard import reading
from cxprogram.dashboard.tables import department_tight_name
from cxprogram.reports.facts import ReportFacts, StrategyFacts

WATERFALL_BARS = 8  # departments drawn by name in a waterfall; the rest as one bar
TOP_EFFECTS = 5
NOTABLE = {"concern": 0, "red": 1, "improvement": 2}


@dataclass(frozen=True)
class ChartSpec:
    """Arguments of one chart call (charts.waterfall or charts.xmr_chart)."""

    kind: str
    args: tuple[Any, ...]
    kwargs: tuple[tuple[str, Any], ...]

    def key(self) -> tuple[Any, ...]:
        """A hashable key for the chart cache."""
        return (self.kind, self.args, self.kwargs)


@dataclass
class MetricView:
    """One standard metric across the organization."""

    code: str
    name: str
    unit: str
    target: float | None
    tolerance: float | None
    org_score: float | None
    delta: float | None
    n_departments: int
    consistency: float | None
    convergence: str
    variation: reading.Badge
    assurance: reading.Badge
    moved: str
    waterfall: ChartSpec | None
    parts: list[tuple[str, str, float, float, float]]  # code, name, rate, mix, total


@dataclass
class DepartmentView:
    """One department's section."""

    code: str
    name: str
    parent: str
    rows: list[dict[str, Any]]
    chart: ChartSpec | None
    series: dict[str, Any] | None
    reds: list[dict[str, Any]]
    strategies: list[tuple[StrategyFacts, list[dict[str, Any]]]]
    review_state: str
    review_comment: str
    tight: str = ""  # the tight tables' name: short name, else code


@dataclass
class ReportModel:
    """Everything the templates show."""

    organization: str
    period: str
    previous_period: str | None
    snapshot: dict[str, Any]
    made_at: str
    consistency_index: float | None
    coverage: dict[str, Any] | None
    periods: list[str]
    metrics: list[MetricView]
    departments: list[DepartmentView]
    top_effects: list[dict[str, Any]]
    unexplained: list[dict[str, Any]]
    heatmap_metrics: list[tuple[str, str]] = field(default_factory=list)

    @property
    def title(self) -> str:
        """The document's title (shown in the viewer's window)."""
        return f"{self.organization}: quarterly customer experience report, {self.period}"


def build_model(doc: Mapping[str, Any], facts: ReportFacts, made_at: str) -> ReportModel:
    """The report's model from a snapshot document (SPEC 6) and the facts beside it."""
    names = _department_names(doc, facts)
    standard = [c for c in sorted(doc["metrics"]) if _metric_info(doc, facts, c)["is_standard"]]
    periods = list(doc.get("periods") or _history_periods(doc, facts))
    metrics = [_metric_view(doc, facts, code, names) for code in standard]
    departments = [
        _department_view(doc, facts, code, names, standard, periods)
        for code in sorted(names, key=lambda c: (names[c].casefold(), c))
    ]
    return ReportModel(
        organization=facts.organization,
        period=doc["period"],
        previous_period=doc.get("previous_period"),
        snapshot=dict(doc["snapshot"]),
        made_at=made_at,
        consistency_index=doc.get("consistency_index"),
        coverage=doc.get("consistency_coverage"),
        periods=periods,
        metrics=metrics,
        departments=departments,
        top_effects=_top_effects(doc, facts, names),
        unexplained=[r for d in departments for r in d.reds if not r["notes"]],
        heatmap_metrics=[(m.code, m.name) for m in metrics],
    )


def _department_names(doc: Mapping[str, Any], facts: ReportFacts) -> dict[str, str]:
    """code -> name of every department with data in the period."""
    codes = {c for m in doc["metrics"].values() for c in m.get("departments", {})}
    listed = doc.get("departments") or {}
    return {c: (listed.get(c) or {}).get("name") or facts.departments.get(c, (c, None))[0]
            for c in codes}  # fmt: skip


def _metric_info(doc: Mapping[str, Any], facts: ReportFacts, code: str) -> dict[str, Any]:
    """Name, unit, direction, target and scope of a metric: the document's when it has them."""
    block = doc["metrics"][code]
    stored = facts.metrics.get(code, {})
    info = {key: block.get(key, stored.get(key)) for key in
            ("name", "unit", "higher_is_better", "target", "is_standard")}  # fmt: skip
    info["name"] = info["name"] or code
    info["is_standard"] = bool(info["is_standard"] if info["is_standard"] is not None else True)
    info["higher_is_better"] = info["higher_is_better"] is not False
    return info


def _metric_view(
    doc: Mapping[str, Any], facts: ReportFacts, code: str, names: Mapping[str, str]
) -> MetricView:
    block = doc["metrics"][code]
    info = _metric_info(doc, facts, code)
    decomposition = block.get("decomposition") or {}
    parts = sorted(
        ((c, names.get(c, c), p["rate"], p["mix"], p["total"])
         for c, p in (decomposition.get("departments") or {}).items()),
        key=lambda row: (-abs(row[4]), row[0]),
    )  # fmt: skip
    convergence = block.get("convergence") or {}
    delta = decomposition.get("delta")
    return MetricView(
        code=code, name=info["name"], unit=info["unit"] or "", target=info["target"],
        tolerance=block.get("tolerance"), org_score=block.get("org_score"), delta=delta,
        n_departments=int(block.get("n_departments") or 0),
        consistency=block.get("consistency"),
        convergence=reading.convergence_words(
            convergence.get("cv_change"), convergence.get("consistency_change")),
        variation=reading.variation_badge(block.get("variation")),
        assurance=reading.assurance_badge(block.get("variation")),
        moved=_moved(info["name"], decomposition, names),
        waterfall=_waterfall(doc, info["name"], block, parts),
        parts=parts,
    )  # fmt: skip


def _moved(name: str, decomposition: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """The dashboard's sentence on what moved the overall score."""
    if decomposition.get("delta") is None:
        return f"No previous period to compare overall {name.lower()} with."
    rates = {names.get(c, c): p["rate"] for c, p in decomposition["departments"].items()}
    return reading.moved_sentence(
        name, decomposition["delta"], decomposition["rate"], decomposition["mix"], rates
    )


def _waterfall(
    doc: Mapping[str, Any], name: str, block: Mapping[str, Any], parts: Sequence[tuple[Any, ...]]
) -> ChartSpec | None:
    """The waterfall of what moved the overall score: the largest departments by name."""
    delta, end = (block.get("decomposition") or {}).get("delta"), block.get("org_score")
    if delta is None or end is None or not parts:
        return None
    shown = [(row[1], float(row[4])) for row in parts[:WATERFALL_BARS]]
    rest = sum(float(row[4]) for row in parts[WATERFALL_BARS:])
    if len(parts) > WATERFALL_BARS:
        shown.append((f"{len(parts) - WATERFALL_BARS} other departments", rest))
    start = end - delta
    biggest = max(shown, key=lambda p: abs(p[1]))
    desc = (f"Overall {name.lower()} went from {start:.2f} in {doc.get('previous_period')} to "
            f"{end:.2f} in {doc['period']} ({delta:+.2f}); the largest part, {biggest[1]:+.2f}, "
            f"came from {biggest[0]}. Every department's part is in the table below.")  # fmt: skip
    return ChartSpec("waterfall", (start, tuple(shown), end), (
        ("title", f"What moved overall {name.lower()}, {doc.get('previous_period')} to "
                  f"{doc['period']}"),
        ("desc", desc), ("start_label", str(doc.get("previous_period"))),
        ("end_label", str(doc["period"])),
    ))  # fmt: skip


def _history_periods(doc: Mapping[str, Any], facts: ReportFacts) -> list[str]:
    """The x axis when the document does not carry one: the earlier periods read, then this."""
    return [*sorted(facts.history), doc["period"]][-12:]


def _series(
    doc: Mapping[str, Any], facts: ReportFacts, metric: str, dept: str, periods: Sequence[str]
) -> tuple[list[float | None], list[float | None], dict[str, Any]]:
    """A department's values, the organization's, and the variation (or trend) limits."""
    block = doc["metrics"][metric]
    own = (block.get("departments") or {}).get(dept) or {}
    variation = own.get("variation") or {}
    if variation.get("values") is not None:
        org = (block.get("variation") or {}).get("values") or [None] * len(periods)
        limits = {k: variation.get(k) for k in ("center", "lpl", "upl")}
        return list(variation["values"]), list(org), limits
    values, org = [], []
    for label in periods:
        result = doc if label == doc["period"] else facts.history.get(label, {})
        earlier = (result.get("metrics") or {}).get(metric) or {}
        values.append(((earlier.get("departments") or {}).get(dept) or {}).get("score"))
        org.append(earlier.get("org_score"))
    trend = own.get("trend") or {}
    limits = {"center": trend.get("center"), "lpl": trend.get("lower"), "upl": trend.get("upper")}
    return values, org, limits


def _department_view(
    doc: Mapping[str, Any], facts: ReportFacts, code: str, names: Mapping[str, str],
    standard: Sequence[str], periods: Sequence[str],
) -> DepartmentView:  # fmt: skip
    rows = [_score_row(doc, facts, m, code) for m in sorted(doc["metrics"])
            if code in (doc["metrics"][m].get("departments") or {})]  # fmt: skip
    pick = _notable(rows, standard)
    chart, series = (None, None) if pick is None else _xmr(doc, facts, pick, code, names, periods)
    effects = [e for e in doc.get("strategy_effects", []) if e.get("department") == code]
    state, comment = facts.reviews.get(code, ("draft", ""))
    parent = (facts.departments.get(code, ("", None))[1]) or ""
    return DepartmentView(
        code=code, name=names[code], parent=facts.departments.get(parent, (parent, None))[0],
        rows=rows, chart=chart, series=series,
        reds=[_red(facts, code, r) for r in rows if r["status"] == "red"],
        strategies=[(s, [_effect(doc, facts, e, names) for e in effects
                         if e.get("strategy_id") == s.id])
                    for s in facts.strategies.get(code, [])],
        review_state=state.replace("_", " "), review_comment=comment,
        tight=department_tight_name(doc, code),
    )  # fmt: skip


def _score_row(
    doc: Mapping[str, Any], facts: ReportFacts, metric: str, code: str
) -> dict[str, Any]:
    block = doc["metrics"][metric]
    own = block["departments"][code]
    info = _metric_info(doc, facts, metric)
    return {
        "metric": metric, "name": info["name"], "score": own.get("score"), "n": own.get("n"),
        "target": info["target"], "org": block.get("org_score"), "status": own.get("status"),
        "badge": reading.status_badge(own.get("status")),
        "variation": reading.variation_badge(own.get("variation")),
        "assurance": reading.assurance_badge(own.get("variation")),
        "is_special": reading.is_special_cause(own.get("variation")),
        "state": (own.get("variation") or {}).get("variation"),
    }  # fmt: skip


def _notable(rows: Sequence[dict[str, Any]], standard: Sequence[str]) -> dict[str, Any] | None:
    """The metric whose XmR chart the department's section shows: a concern first, then a
    red, then an improvement, else the first standard metric it reports."""
    ranked = sorted(
        (NOTABLE.get(r["state"] if r["is_special"] else r["status"] or "", 9),
         r["metric"] not in standard, r["metric"], i) for i, r in enumerate(rows)
    )  # fmt: skip
    return rows[ranked[0][3]] if ranked else None


def _xmr(
    doc: Mapping[str, Any], facts: ReportFacts, row: Mapping[str, Any], code: str,
    names: Mapping[str, str], periods: Sequence[str],
) -> tuple[ChartSpec, dict[str, Any]]:  # fmt: skip
    values, org, limits = _series(doc, facts, row["metric"], code, periods)
    title = f"{row['name']} of {names[code]}, {periods[0]} to {periods[-1]}"
    known = [(p, v) for p, v in zip(periods, values, strict=False) if v is not None]
    last = f"{known[-1][1]:.2f} in {known[-1][0]}" if known else "no value"
    bounds = (f"process limits {limits['lpl']:.2f} to {limits['upl']:.2f} around a centre of "
              f"{limits['center']:.2f}" if None not in limits.values() else
              "too few earlier values for process limits")  # fmt: skip
    desc = (f"{len(known)} quarterly values, the last {last}; {bounds}; "
            f"{row['variation'].word}. The organization's line is shown for comparison; "
            f"every value is in the data appendix.")  # fmt: skip
    spec = ChartSpec("xmr", (tuple(periods), tuple(values)), (
        ("center", limits["center"]), ("lpl", limits["lpl"]), ("upl", limits["upl"]),
        ("org_values", tuple(org)), ("target", row["target"]), ("title", title), ("desc", desc),
    ))  # fmt: skip
    series = {
        "metric": row["name"],
        "title": title,
        "rows": list(zip(periods, values, org, strict=False)),
        **limits,
    }
    return spec, series


def _red(facts: ReportFacts, code: str, row: Mapping[str, Any]) -> dict[str, Any]:
    notes = facts.notes.get((code, row["metric"]), [])
    return {"department": code, "metric": row["name"], "score": row["score"],
            "target": row["target"], "notes": notes}  # fmt: skip


def _effect(
    doc: Mapping[str, Any], facts: ReportFacts, e: Mapping[str, Any], names: Mapping[str, str]
) -> dict[str, Any]:
    metric = (
        _metric_info(doc, facts, e["metric"])["name"]
        if e["metric"] in doc["metrics"]
        else e["metric"]
    )
    title = e.get("title") or next(
        (s.title for s in facts.strategies.get(e["department"], []) if s.id == e["strategy_id"]),
        f"strategy {e['strategy_id']}")  # fmt: skip
    return {**e, "metric_name": metric, "title": title,
            "department_name": e.get("department_name") or names.get(e["department"], "?"),
            "verdict": reading.effect_verdict(e), "unusual_words": reading.unusual_words(e),
            "periods_used": reading.periods_used(e)}  # fmt: skip


def _top_effects(
    doc: Mapping[str, Any], facts: ReportFacts, names: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The strategies with the largest estimated effects (by size, then id)."""
    estimated = [e for e in doc.get("strategy_effects", [])
                 if e.get("status") == "estimated" and e.get("effect") is not None]  # fmt: skip
    estimated.sort(key=lambda e: (-abs(e["effect"]), e["strategy_id"], e["metric"]))
    return [_effect(doc, facts, e, names) for e in estimated[:TOP_EFFECTS]]
