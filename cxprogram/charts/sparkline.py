"""A sparkline: the shape of a short series, its last point marked."""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup

from cxprogram.charts import palette
from cxprogram.charts.svg import chart_id, drawing, figure_svg, finish

WIDTH_IN = 1.6
HEIGHT_IN = 0.45


def sparkline(values: Sequence[float | None], *, title: str, desc: str) -> Markup:
    """A small line of values (None leaves a gap), the last value with data marked."""
    ys = [math.nan if v is None else float(v) for v in values]
    cid = chart_id("sparkline", tuple(ys), title, desc)
    with drawing(WIDTH_IN, HEIGHT_IN) as figure:
        ax = figure.add_axes((0.04, 0.12, 0.90, 0.76))
        ax.set_axis_off()
        xs = list(range(len(ys)))
        ax.plot(xs, ys, color=palette.PRIMARY, linewidth=1.5, solid_capstyle="round")
        isolated = [i for i in xs if _is_isolated(ys, i)]
        ax.plot(isolated, [ys[i] for i in isolated], "o", color=palette.PRIMARY, markersize=2.5)
        known = [i for i in xs if not math.isnan(ys[i])]
        if known:
            last = known[-1]
            ax.plot([last], [ys[last]], "o", color=palette.PRIMARY, markersize=4.5)
        ax.set_xlim(-0.5, max(len(ys), 2) - 0.5)
        raw = figure_svg(figure)
    return finish(raw, cid=cid, title=title, desc=desc, kind="sparkline", fixed=True)


def _is_isolated(ys: Sequence[float], i: int) -> bool:
    """A value with no neighbour to join: a line would not show it, so it gets a dot."""
    if math.isnan(ys[i]):
        return False
    before = i > 0 and not math.isnan(ys[i - 1])
    after = i + 1 < len(ys) and not math.isnan(ys[i + 1])
    return not (before or after)
