"""A waterfall (bridge): from a start value through signed parts to an end value."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

from markupsafe import Markup

from cxprogram.charts import palette
from cxprogram.charts.svg import chart_id, drawing, figure_svg, finish

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

WIDTH_IN = 6.5
ROW_IN = 0.3
LABEL_WIDTH = 26  # characters per line of a bar's name before it wraps
CHAR_PT = 5.0  # a generous mean width of an 8 pt DejaVu Sans character
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
    names = [
        textwrap.fill(n, LABEL_WIDTH) for n in (start_label, *(n for n, _ in parts), end_label)
    ]
    height_in = 0.75 + ROW_IN * rows + (0.3 if show_title else 0) + 0.1 * _extra_lines(names)
    with drawing(WIDTH_IN, height_in) as figure:
        _place_axes(figure, names, height_in, show_title)
        ax = figure.add_subplot()
        left, right = _extent(float(start), parts, float(end))
        _draw_bars(ax, float(start), parts, float(end), left, number_format)
        ax.set_yticks(range(rows), names)
        ax.set_ylim(rows - 0.4, -0.6)
        ax.set_xlim(left, right)
        _style_axes(ax, title if show_title else None)
        raw = figure_svg(figure)
    return finish(raw, cid=cid, title=title, desc=desc, kind="waterfall")


def _extra_lines(names: Sequence[str]) -> int:
    """The lines that wrapped names add beyond one per bar."""
    return sum(name.count("\n") for name in names)


def _place_axes(figure: Figure, names: Sequence[str], height_in: float, show_title: bool) -> None:
    """Margins from the longest name (a layout engine measures every text twice: slow)."""
    longest = max(len(line) for name in names for line in name.split("\n"))
    left_pt = longest * CHAR_PT + 10
    figure.subplots_adjust(
        left=min(left_pt / (WIDTH_IN * 72), 0.45),
        right=0.97,
        bottom=0.55 / height_in,
        top=1 - (0.4 if show_title else 0.1) / height_in,
    )


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
    """All bars in one call (totals from the axis' left edge, each part from the running
    total), the connectors in another, then each bar's number at its end."""
    from matplotlib.transforms import offset_copy

    total_format = number_format.replace("+", "")
    running = [start]
    for _, value in parts:
        running.append(running[-1] + value)
    lefts = [base, *running[:-1], base]
    widths = [start - base, *(value for _, value in parts), end - base]
    colours = [palette.PRIMARY, *(_part_colour(v) for _, v in parts), palette.PRIMARY]
    rows = range(len(widths))
    ax.barh(rows, widths, left=lefts, height=0.62, color=colours, linewidth=0)
    ax.vlines(
        running,
        [r + 0.31 for r in rows[:-1]],
        [r + 0.69 for r in rows[:-1]],
        colors=palette.BASE_DARK,
        linewidth=0.6,
        linestyles=(0, (2, 2)),
    )
    figure = cast("Figure", ax.figure)
    right = offset_copy(ax.transData, fig=figure, x=3, units="points")
    left = offset_copy(ax.transData, fig=figure, x=-3, units="points")
    texts = [
        total_format.format(start),
        *(number_format.format(v) for _, v in parts),
        total_format.format(end),
    ]
    for row, (x0, width, text) in enumerate(zip(lefts, widths, texts, strict=True)):
        is_total = row in (0, len(widths) - 1)
        falls = width < 0 and not is_total
        ax.text(
            x0 + width,
            row,
            text,
            transform=left if falls else right,
            ha="right" if falls else "left",
            va="center",
            fontsize=8,
            color=palette.INK,
            fontweight="bold" if is_total else "normal",
        )


def _part_colour(value: float) -> str:
    """Green for a rise, red for a fall (the direction and the sign say it too)."""
    return palette.SUCCESS_DARK if value >= 0 else palette.SECONDARY_DARK


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
