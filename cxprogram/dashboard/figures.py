"""The dashboard's charts, drawn by the chart module and cached by snapshot: a page view
after the first one for a snapshot draws nothing."""

from __future__ import annotations

from markupsafe import Markup

from cxprogram import charts
from cxprogram.dashboard import reading
from cxprogram.dashboard.tables import Moved, ScoreRow, series

Key = tuple[int, int, str, str]


def sparkline(key: Key, code: str, name: str, points: list[tuple[str, float | None]]) -> Markup:
    """The last quarters of a metric's organization score."""
    values = [v for _, v in points]
    known = [(p, v) for p, v in points if v is not None]
    title = f"{name}: organization score, last {len(points)} quarters"
    if known:
        desc = (f"From {reading.number(known[0][1])} in {known[0][0]} to "
                f"{reading.number(known[-1][1])} in {known[-1][0]}; "
                f"{len(points) - len(known)} quarters without data.")  # fmt: skip
    else:
        desc = "No data in these quarters."
    return charts.cached(
        (*key, "sparkline", code, tuple(values)),
        lambda: charts.sparkline(values, title=title, desc=desc),
    )


def waterfall(key: Key, moved: Moved, previous: str | None, period: str) -> Markup:
    """What moved a metric's overall score: the parts, largest first."""
    parts = [(p.label, p.value) for p in moved.parts]
    title = f"What moved overall {moved.name.lower()} from {previous} to {period}"
    return charts.cached(
        (*key, "waterfall", moved.metric, tuple(parts)),
        lambda: charts.waterfall(
            moved.start, parts, moved.end, title=title, desc=moved.sentence,
            start_label=str(previous), end_label=period,
        ),
    )  # fmt: skip


def xmr(key: Key, doc: dict[str, object], department: str, row: ScoreRow,
        org_variation: dict[str, object] | None) -> Markup:  # fmt: skip
    """A department's series on one metric as an XmR chart, the organization beside it."""
    points = series(doc, row.variation)
    labels, values = [p for p, _ in points], [v for _, v in points]
    org_values = [v for _, v in series(doc, org_variation)]
    v = row.variation
    title = f"{row.name} of {department}, {labels[0]} to {labels[-1]}, with control limits"
    desc = (f"Latest {reading.number(row.score)} in {labels[-1]}; centre line "
            f"{reading.number(v.get('center'))}, limits {reading.number(v.get('lpl'))} to "
            f"{reading.number(v.get('upl'))}; variation: "
            f"{reading.variation_badge(v).word}; assurance: {reading.assurance_badge(v).word}. "
            f"The organization's score is drawn beside it.")  # fmt: skip
    return charts.cached(
        (*key, "xmr", department, row.code),
        lambda: charts.xmr_chart(
            labels, values, center=v.get("center"), lpl=v.get("lpl"), upl=v.get("upl"),
            org_values=org_values, target=row.target, title=title, desc=desc,
        ),
    )  # fmt: skip
