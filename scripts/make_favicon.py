"""Draw cxprogram/static/favicon.ico (16, 32 and 48 px) from the shapes of favicon.svg.

Run once after changing the icon: PYTHONPATH=$PWD python scripts/make_favicon.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

STATIC = Path(__file__).resolve().parents[1] / "cxprogram" / "static"
BLUE, WHITE = "#005ea2", "#ffffff"
BARS = ((6, 17, 11, 26), (13.5, 11, 18.5, 26), (21, 6, 26, 26))  # favicon.svg's, on 32 x 32


def draw(size: int) -> Image.Image:
    """The icon at one size: a blue rounded square with three rising white bars."""
    scale = size / 32
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.rounded_rectangle((0, 0, size - 1, size - 1), radius=round(6 * scale), fill=BLUE)
    for x0, y0, x1, y1 in BARS:
        pen.rectangle((x0 * scale, y0 * scale, x1 * scale - 1, y1 * scale - 1), fill=WHITE)
    return image


if __name__ == "__main__":
    draw(48).save(STATIC / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)])
