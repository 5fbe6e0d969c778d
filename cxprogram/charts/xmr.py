"""An XmR (individuals) chart: the series, its centre line and process limits, the
organization's line beside it and the target, points outside the limits marked by shape."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

from markupsafe import Markup

from cxprogram.charts import palette
from cxprogram.charts.svg import chart_id, drawing, figure_svg, finish

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

WIDTH_IN = 6.5
HEIGHT_IN = 3.4
LIMIT_DASH = (0, (5, 3))
ORG_DASH = (0, (7, 2, 1.5, 2))
TARGET_DASH = (0, (1.2, 1.8))


def xmr_chart(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    center: float | None,
    lpl: float | None,
    upl: float | None,
    org_values: Sequence[float | None] | None,
    target: float | None,
    title: str,
    desc: str,
    show_title: bool = True,
) -> Markup:
    """The chart of values over labels (None leaves a gap), with the lines that are given."""
    ys = _floats(values)
    org = _floats(org_values) if org_values is not None else None
    lines = _lines(center, lpl, upl, target)
    cid = chart_id(
        "xmr", tuple(labels), tuple(ys), tuple(org or ()), tuple(lines), title, desc, show_title
    )
    with drawing(WIDTH_IN, HEIGHT_IN) as figure:
        figure.subplots_adjust(left=0.09, right=0.83, bottom=0.24, top=0.78 if show_title else 0.86)
        ax = figure.add_subplot()
        xs = list(range(len(ys)))
        ax.plot(xs, ys, "-o", color=palette.PRIMARY, linewidth=1.6, markersize=3.5, label="Score")
        if org is not None:
            ax.plot(
                xs,
                org,
                color=palette.VIOLET,
                linewidth=1.3,
                linestyle=ORG_DASH,
                label="Organization",
            )
        _draw_lines(ax, lines, len(ys))
        _mark_outside(ax, ys, lpl, upl)
        _axes(ax, labels, ys, org, lines)
        ax.legend(
            loc="lower left",
            bbox_to_anchor=(0, 1.01),
            ncol=4,
            fontsize=7.5,
            frameon=False,
            handlelength=2.6,
            borderaxespad=0,
        )
        if show_title:
            figure.suptitle(
                title, x=0.09, ha="left", fontsize=10, fontweight="bold", color=palette.INK
            )
        raw = figure_svg(figure)
    return finish(raw, cid=cid, title=title, desc=desc, kind="xmr")


def _floats(values: Sequence[float | None]) -> list[float]:
    """Values as floats, None as NaN (matplotlib breaks a line at NaN: a gap)."""
    return [math.nan if v is None else float(v) for v in values]


def _lines(
    center: float | None, lpl: float | None, upl: float | None, target: float | None
) -> list[tuple[str, float]]:
    """The horizontal lines that are given, named as their labels say."""
    named = [("UPL", upl), ("Centre", center), ("LPL", lpl), ("Target", target)]
    return [(name, float(v)) for name, v in named if v is not None and math.isfinite(v)]


def _draw_lines(ax: Axes, lines: Sequence[tuple[str, float]], count: int) -> None:
    """Each line across the chart, its name and value written at its right end."""
    styles = {
        "Centre": {"color": palette.BASE_DARK, "linewidth": 1.0, "linestyle": "solid"},
        "UPL": {"color": palette.BASE_DARK, "linewidth": 1.0, "linestyle": LIMIT_DASH},
        "LPL": {"color": palette.BASE_DARK, "linewidth": 1.0, "linestyle": LIMIT_DASH},
        "Target": {"color": palette.WARM_DARK, "linewidth": 1.6, "linestyle": TARGET_DASH},
    }
    legend = {"Centre": "Centre", "UPL": "Process limits", "Target": "Target"}
    for name, value in lines:
        ax.axhline(value, label=legend.get(name, "_nolegend_"), **styles[name])  # type: ignore[arg-type]
    from matplotlib.transforms import ScaledTranslation, blended_transform_factory

    # x in axes fraction (just right of the plot), y in data, then 4 pt to the right.
    figure = cast("Figure", ax.figure)
    place = blended_transform_factory(ax.transAxes, ax.transData) + ScaledTranslation(
        4 / 72, 0, figure.dpi_scale_trans
    )
    spread = _spread([v for _, v in lines], ax.get_ylim())
    for (name, value), y in zip(lines, spread, strict=True):
        ax.text(
            1.0,
            y,
            f"{name} {_short(value)}",
            transform=place,
            va="center",
            fontsize=7.5,
            color=palette.INK,
            clip_on=False,
        )


def _mark_outside(ax: Axes, ys: Sequence[float], lpl: float | None, upl: float | None) -> None:
    """Points above the upper or below the lower limit: triangles pointing that way."""
    above = [(i, y) for i, y in enumerate(ys) if upl is not None and y > upl]
    below = [(i, y) for i, y in enumerate(ys) if lpl is not None and y < lpl]
    for points, marker, label in ((above, "^", "Above UPL"), (below, "v", "Below LPL")):
        if points:
            ax.plot(
                [i for i, _ in points],
                [y for _, y in points],
                linestyle="none",
                marker=marker,
                markersize=8,
                color=palette.SECONDARY_DARK,
                label=label,
                zorder=5,
            )


def _axes(
    ax: Axes,
    labels: Sequence[str],
    ys: Sequence[float],
    org: Sequence[float] | None,
    lines: Sequence[tuple[str, float]],
) -> None:
    """Ticks at every label (slanted when many), y range over everything drawn, light grid."""
    every = [y for y in (*ys, *(org or ()), *(v for _, v in lines)) if math.isfinite(y)]
    low, high = (min(every), max(every)) if every else (0.0, 1.0)
    pad = (high - low) * 0.08 or abs(high) * 0.05 or 1.0
    ax.set_ylim(low - pad, high + pad)
    ax.set_xlim(-0.5, max(len(labels), 1) - 0.5)
    ax.set_xticks(
        range(len(labels)),
        list(labels),
        rotation=45 if len(labels) > 6 else 0,
        ha="right" if len(labels) > 6 else "center",
        fontsize=7.5,
    )
    ax.tick_params(colors=palette.BASE_DARK, labelcolor=palette.INK, labelsize=7.5)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(palette.BASE_DARK)
    ax.grid(axis="y", color=palette.GRID, linewidth=0.6)
    ax.set_axisbelow(True)


def _spread(values: Sequence[float], ylim: tuple[float, float]) -> list[float]:
    """Label positions near values, pushed apart so that no two labels overlap."""
    gap = (ylim[1] - ylim[0]) * 0.075
    order = sorted(range(len(values)), key=lambda i: values[i])
    placed = [0.0] * len(values)
    previous = -math.inf
    for i in order:
        placed[i] = max(values[i], previous + gap)
        previous = placed[i]
    return placed


def _short(value: float) -> str:
    """A line's value in a few characters."""
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.1f}" if abs(value) >= 100 else f"{value:.2f}"
