"""The report's HTML: its sections rendered one by one from templates/pdf/ (Jinja with
autoescaping, no Flask), with the charts drawn by cxprogram.charts."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from cxprogram import charts
from cxprogram.dashboard import reading
from cxprogram.reports.content import ChartSpec, ReportModel

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
_TITLE_RE = re.compile(r"(<title[^>]*>)(.*?)(</title>)(\s*<desc[^>]*>)(.*?)(</desc>)", re.S)

SectionCallback = Callable[[int, int], None]


@cache
def environment() -> jinja2.Environment:
    """The templates' environment: autoescaped, strict about undefined names."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(number=reading.number, signed=reading.signed, percent=reading.percent)
    env.globals.update(chart=draw_chart, count=_count)
    return env


def _count(value: float | None) -> str:
    """A count (respondents, transactions) with thousands separators."""
    return reading.NOT_AVAILABLE if value is None else f"{value:,.0f}"


def draw_chart(spec: ChartSpec | None) -> Markup:
    """The chart's SVG, its description joined to its title: WeasyPrint makes the title
    the figure's alternative text, so the text says what the chart shows, from the data."""
    if spec is None:
        return Markup("")
    build = charts.waterfall if spec.kind == "waterfall" else charts.xmr_chart
    svg = charts.cached(("report", *spec.key()), lambda: build(*spec.args, **dict(spec.kwargs)))
    # the chart module's own markup, its escaped description moved into its escaped title
    return Markup(_TITLE_RE.sub(r"\1\2. \5\3\4\5\6", str(svg), count=1))  # noqa: S704


def sections(model: ReportModel) -> Iterator[tuple[str, dict[str, Any]]]:
    """The report's sections in order: template and its variables."""
    yield "pdf/_cover.html", {}
    yield "pdf/_contents.html", {}
    yield "pdf/_summary.html", {}
    yield "pdf/_moved.html", {}
    yield "pdf/_heatmap.html", {}
    for index, department in enumerate(model.departments):
        yield (
            "pdf/_department.html",
            {"department": department, "is_first": index == 0, "number": index + 1},
        )
    yield "pdf/_method.html", {}
    yield "pdf/_data.html", {}


def build_html(model: ReportModel, on_section: SectionCallback | None = None) -> str:
    """The whole report as one HTML document; on_section(done, total) after each section."""
    env = environment()
    parts = list(sections(model))
    body = []
    for done, (name, variables) in enumerate(parts, start=1):
        body.append(env.get_template(name).render(m=model, **variables))
        if on_section:
            on_section(done, len(parts))
    return env.get_template("pdf/report.html").render(
        m=model,
        body=Markup("".join(body)),  # noqa: S704 - sections autoescaped by Jinja
    )
