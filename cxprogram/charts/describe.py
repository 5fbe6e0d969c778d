"""Plain-words summaries of a series, for a chart's <desc> and the PDF's alternative text."""

from __future__ import annotations

from collections.abc import Sequence


def describe_series(
    labels: Sequence[str], values: Sequence[float | None], fmt: str = "{:.2f}"
) -> str:
    """'8 periods, FY2021-Q2 to FY2023-Q1: first 4.10, last 4.25; lowest 4.02 in FY2022-Q1,
    highest 4.30 in FY2022-Q3; no data in 1 period.' from aligned labels and values."""
    pairs = [(label, v) for label, v in zip(labels, values, strict=True) if v is not None]
    count = len(labels)
    span = f"{labels[0]} to {labels[-1]}" if count > 1 else (labels[0] if labels else "")
    head = f"{count} period{'s' if count != 1 else ''}" + (f", {span}" if span else "")
    if not pairs:
        return f"{head}: no data."
    (first_label, first), (last_label, last) = pairs[0], pairs[-1]
    low_label, low = min(pairs, key=lambda p: p[1])
    high_label, high = max(pairs, key=lambda p: p[1])
    text = f"{head}: first {fmt.format(first)} in {first_label}"
    text += f", last {fmt.format(last)} in {last_label}"
    text += f"; lowest {fmt.format(low)} in {low_label}, highest {fmt.format(high)} in {high_label}"
    missing = count - len(pairs)
    if missing:
        text += f"; no data in {missing} period{'s' if missing != 1 else ''}"
    return text + "."
