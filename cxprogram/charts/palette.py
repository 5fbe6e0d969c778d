"""U.S. Web Design System colours used by the charts, each >= 3:1 against white (WCAG 1.4.11)."""

from __future__ import annotations

# Theme tokens of USWDS 3 (system colour in brackets).
PRIMARY = "#005ea2"  # primary (blue-60v): the series, totals
INK = "#1b1b1b"  # ink: text
BASE_DARK = "#565c65"  # base-dark (gray-cool-60): centre line, process limits, axes
SUCCESS_DARK = "#008817"  # success-dark (green-cool-50v): a part that raised the score
SECONDARY_DARK = "#b50909"  # secondary-dark (red-60v): a part that lowered it; outside limits
VIOLET = "#54278f"  # violet-70v: the organization's line beside a department's
WARM_DARK = "#c05600"  # accent-warm-dark (orange-50v): the target
GRID = "#dfe1e2"  # base-lighter: grid lines, decorative only (no meaning carried)
BACKGROUND = "#ffffff"  # white: the plotting area, the ground of every contrast above

MEANINGFUL = (PRIMARY, INK, BASE_DARK, SUCCESS_DARK, SECONDARY_DARK, VIOLET, WARM_DARK)


def contrast_ratio(colour: str, background: str = "#ffffff") -> float:
    """WCAG 2.1 contrast ratio of two #rrggbb colours."""

    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(colour), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)
