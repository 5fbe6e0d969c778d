"""matplotlib wrapped once: a fresh Figure per chart, drawn by the SVG backend under fixed
settings, and the SVG text made fit for an HTML page and for WeasyPrint."""

from __future__ import annotations

import hashlib
import io
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

from markupsafe import Markup, escape

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FONT_FAMILY = ["DejaVu Sans", "Verdana", "Arial", "sans-serif"]

RC_PARAMS: dict[str, Any] = {
    "svg.fonttype": "none",  # text stays <text>: selectable, searchable, read by tools
    "svg.hashsalt": "cxprogram",  # ids derived from content, not uuid4: same input, same bytes
    "svg.image_inline": True,  # never an external image file (we draw none anyway)
    "path.simplify": False,
    "font.family": "sans-serif",
    "font.sans-serif": FONT_FAMILY,
    "font.size": 9.0,
    "text.parse_math": False,  # a "$" in a department name is a dollar sign, not maths
    "axes.unicode_minus": False,  # "-" as typed, so a page's text and the chart's agree
    "axes.titlesize": 10.0,
    "hatch.color": "#1b1b1b",
}

# rc_context changes matplotlib's process-wide rcParams and restores them on exit; two
# threads drawing at once would restore each other's settings mid-draw (gunicorn threads).
# Each chart is drawn under this lock, so the settings hold for the whole draw.
_DRAW_LOCK = threading.RLock()

_METADATA = {"Creator": None, "Date": None, "Format": None, "Type": None}
_STYLE = re.compile(r' style="([^"]*)"')
_ID = re.compile(r' id="([^"]+)"')
_HREF = re.compile(r'(xlink:href|href)="#([^"]+)"')
_URL_REF = re.compile(r"url\(#([^)]+)\)")
_EXTERNAL = re.compile(r"""(href="(?!#)|@import|url\((?!#)|<image\b|<foreignObject\b)""", re.I)


class UnsafeChartError(ValueError):
    """The SVG would refer to something outside itself."""


def chart_id(kind: str, *inputs: object) -> str:
    """A stable id for a chart from its kind and inputs (the same chart, the same id)."""
    digest = hashlib.sha256(repr((kind, inputs)).encode("utf-8")).hexdigest()[:12]
    return f"cx-{kind}-{digest}"


@contextmanager
def drawing(width_in: float, height_in: float) -> Iterator[Figure]:
    """A new Figure with its own SVG canvas, under the charts' settings (never pyplot)."""
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    with _DRAW_LOCK, matplotlib.rc_context(cast(Any, RC_PARAMS)):
        figure = Figure(figsize=(width_in, height_in), dpi=72)
        FigureCanvasSVG(figure)
        figure.patch.set_visible(False)
        yield figure


def figure_svg(figure: Figure) -> str:
    """The figure as SVG text (call inside `drawing`, so the settings apply)."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata=_METADATA)
    return buffer.getvalue()


def finish(raw: str, *, cid: str, title: str, desc: str, kind: str, fixed: bool = False) -> Markup:
    """Inline-ready SVG: no prolog, role="img" named by a <title> and <desc>, ids scoped to
    this chart, styles as presentation attributes, nothing external."""
    body = raw[raw.index("<svg") :]
    body = re.sub(r"<metadata>.*?</metadata>\s*", "", body, flags=re.S)
    body = re.sub(r"<defs>\s*<style[^>]*>.*?</style>\s*</defs>\s*", "", body, flags=re.S)
    body = _scope_ids(body, cid)
    body = _STYLE.sub(_presentation_attributes, body)
    body = _root(body, cid=cid, title=title, desc=desc, kind=kind, fixed=fixed)
    found = _EXTERNAL.search(body)
    if found:
        raise UnsafeChartError(f"chart {cid} refers outside itself: {found.group(0)!r}")
    return Markup(body.strip() + "\n")  # noqa: S704 - built here from escaped text only


def _root(body: str, *, cid: str, title: str, desc: str, kind: str, fixed: bool) -> str:
    """Rewrite the <svg> start tag and put the title and description first inside it."""
    start = re.match(r"<svg\b[^>]*>", body)
    assert start is not None
    tag = start.group(0)
    view_box = re.search(r'viewBox="([^"]+)"', tag)
    assert view_box is not None
    _, _, width, height = (float(v) for v in view_box.group(1).split())
    size = f'width="{width:g}" height="{height:g}"' if fixed else 'width="100%"'
    new_tag = (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'version="1.1" id="{cid}" class="cx-chart cx-chart--{kind}" {size} '
        f'viewBox="{view_box.group(1)}" preserveAspectRatio="xMidYMid meet" role="img" '
        f'aria-labelledby="{cid}-title {cid}-desc" '
        f'stroke-linejoin="round" stroke-linecap="butt">'
        f'<title id="{cid}-title">{escape(title)}</title>'
        f'<desc id="{cid}-desc">{escape(desc)}</desc>'
    )
    return new_tag + body[start.end() :]


def _scope_ids(body: str, cid: str) -> str:
    """Prefix the ids something refers to with the chart's id (several charts share a
    page), and drop the ids nothing refers to (matplotlib names every group)."""
    referenced = {m.group(2) for m in _HREF.finditer(body)} | set(_URL_REF.findall(body))

    def rename_id(match: re.Match[str]) -> str:
        name = match.group(1)
        return f' id="{cid}-{name}"' if name in referenced else ""

    body = _ID.sub(rename_id, body)
    body = _HREF.sub(lambda m: f'{m.group(1)}="#{cid}-{m.group(2)}"', body)
    return _URL_REF.sub(lambda m: f"url(#{cid}-{m.group(1)})", body)


def _presentation_attributes(match: re.Match[str]) -> str:
    """style="a: b; c: d" -> a="b" c="d": the app's CSP (style-src 'self') ignores inline
    style attributes, presentation attributes are not styles and always apply."""
    parts = []
    for declaration in match.group(1).split(";"):
        name, sep, value = declaration.partition(":")
        if sep and name.strip():
            parts.append(f' {name.strip()}="{value.strip()}"')
    return "".join(parts)
