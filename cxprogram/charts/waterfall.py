"""A waterfall (bridge): from a start value through signed parts to an end value."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

from markupsafe import Markup

from cxprogram.charts import palette
from cxprogram.charts.svg import chart_id, drawing, figure_svg, finish

if TYPE_CHECKING:
    from matplotlib.axes import Axes

WIDTH_IN = 6.5
ROW_IN = 0.3
LABEL_WIDTH = 26  # characters per line of a bar's name before it wraps
DIRECTION_NOTE = "Bars to the right raised the value; bars to the left lowered it."


def waterfall(
    start: float,
    parts: Sequence[tuple[str, float]],
    end: float,
    *,
    title: str,
    desc: str,
    start_label: str,
    end_label: str,
    number_format: str = "{:+.2f}",
    show_title: bool = True,
) -> Markup:
    """Horizontal bars, top to bottom: the start total, one bar per part from the running
    total (right for a rise, left for a fall, each labelled with its sign), the end total."""
    parts = [(str(name), float(value)) for name, value in parts]
    cid = chart_id(
        "waterfall",
        start,
        tuple(parts),
        end,
        title,
        desc,
        start_label,
        end_label,
        number_format,
        show_title,
    )
    rows = len(parts) + 2
    with drawing(WIDTH_IN, 0.9 + ROW_IN * rows + (0.3 if show_title else 0)) as figure:
        ax = figure.add_subplot()
        left, right = _extent(float(start), parts, float(end))
        _draw_bars(ax, float(start), parts, float(end), left, number_format)
        names = [start_label, *(name for name, _ in parts), end_label]
        ax.set_yticks(range(rows), [textwrap.fill(n, LABEL_WIDTH) for n in names])
        ax.set_ylim(rows - 0.4, -0.6)
        ax.set_xlim(left, right)
        _style_axes(ax, title if show_title else None)
        figure.set_layout_engine("constrained")
        raw = figure_svg(figure)
    return finish(raw, cid=cid, title=title, desc=desc, kind="waterfall")


def _extent(start: float, parts: Sequence[tuple[str, float]], end: float) -> tuple[float, float]:
    """The x range: every running total, with room for the totals' bars and the labels."""
    running = [start]
    for _, value in parts:
        running.append(running[-1] + value)
    low, high = min(*running, end), max(*running, end)
    span = (high - low) or (abs(high) * 0.05) or 1.0
    return low - 0.45 * span, high + 0.35 * span


def _draw_bars(
    ax: Axes,
    start: float,
    parts: Sequence[tuple[str, float]],
    end: float,
    base: float,
    number_format: str,
) -> None:
    """The totals from the axis' left edge, each part from the running total, connectors."""
    total_format = number_format.replace("+", "")
    _total_bar(ax, 0, start, base, total_format.format(start))
    running = start
    for row, (_, value) in enumerate(parts, start=1):
        colour = palette.SUCCESS_DARK if value >= 0 else palette.SECONDARY_DARK
        ax.barh(row, value, left=running, height=0.62, color=colour, linewidth=0)
        _connector(ax, running, row)
        tip = running + value
        ax.annotate(
            number_format.format(value),
            (tip, row),
            xytext=(3 if value >= 0 else -3, 0),
            textcoords="offset points",
            ha="left" if value >= 0 else "right",
            va="center",
            fontsize=8,
            color=palette.INK,
        )
        running = tip
    last = len(parts) + 1
    _connector(ax, running, last)
    _total_bar(ax, last, end, base, total_format.format(end))


def _connector(ax: Axes, x: float, row: int) -> None:
    """A dotted line at the running total from the bar above to this row's bar."""
    ax.vlines(
        x, row - 0.69, row - 0.31, colors=palette.BASE_DARK, linewidth=0.6, linestyles=(0, (2, 2))
    )


def _total_bar(ax: Axes, row: int, value: float, base: float, text: str) -> None:
    """A total: a bar from the left edge to value, its number at its end."""
    ax.barh(row, value - base, left=base, height=0.62, color=palette.PRIMARY, linewidth=0)
    ax.annotate(
        text,
        (value, row),
        xytext=(3, 0),
        textcoords="offset points",
        ha="left",
        va="center",
        fontsize=8,
        fontweight="bold",
        color=palette.INK,
    )


def _style_axes(ax: Axes, title: str | None) -> None:
    """Light grid, no box, the note saying how to read the direction."""
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color(palette.BASE_DARK)
    ax.tick_params(axis="y", length=0, labelsize=8, labelcolor=palette.INK)
    ax.tick_params(axis="x", labelsize=8, colors=palette.BASE_DARK, labelcolor=palette.INK)
    ax.grid(axis="x", color=palette.GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    ax.set_xlabel(DIRECTION_NOTE, fontsize=8, color=palette.INK)
    if title:
        ax.set_title(title, loc="left", fontsize=10, fontweight="bold", color=palette.INK)
