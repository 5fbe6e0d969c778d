"""The charts in a PDF: WeasyPrint renders each chart's SVG, its text stays text (read back by
pypdf), and nothing outside the document is fetched."""

from __future__ import annotations

import io
from typing import Any

import pytest
from markupsafe import Markup
from pypdf import PdfReader
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from cxprogram import charts

LABELS = [f"FY{2021 + i // 4}-Q{i % 4 + 1}" for i in range(12)]


class RefusingFetcher(URLFetcher):  # type: ignore[misc]
    """Records and refuses every fetch: a chart must need none."""

    def __init__(self) -> None:
        super().__init__(fail_on_errors=True)
        self.asked: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> Any:
        self.asked.append(url)
        raise ValueError(f"refused: {url}")


def pdf_text(svg: Markup, caption: str) -> tuple[str, list[str]]:
    """Render the chart in a small HTML document; its text and the fetcher's requests."""
    fetcher = RefusingFetcher()
    html = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>t</title></head>'
        f"<body><figure>{svg}<figcaption>{caption}</figcaption></figure></body></html>"
    )
    pdf = HTML(string=html, base_url="https://app.invalid/", url_fetcher=fetcher).write_pdf()
    assert pdf is not None
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return text, fetcher.asked


def draw_xmr() -> Markup:
    return charts.xmr_chart(
        LABELS,
        [4.0, 4.1, 3.9, None, 4.05, 4.2, 4.1, 3.95, 4.0, 4.6, 4.1, 3.5],
        center=4.05,
        lpl=3.7,
        upl=4.4,
        org_values=[4.02] * 12,
        target=4.2,
        title="Satisfaction, Veterans Affairs",
        desc="Common cause.",
    )


def draw_waterfall() -> Markup:
    return charts.waterfall(
        4.10,
        [("Internal Revenue Service", 0.03), ("Social Security", -0.01), ("Customer mix", 0.04)],
        4.16,
        title="What moved satisfaction",
        desc="Rose 0.06.",
        start_label="FY2022-Q4",
        end_label="FY2023-Q1",
    )


@pytest.mark.parametrize(
    ("draw", "expected"),
    [
        (
            draw_xmr,
            [
                "Satisfaction, Veterans Affairs",
                "UPL 4.40",
                "LPL 3.70",
                "Centre 4.05",
                "Target 4.20",
                "Organization",
                "FY2021-Q1",
                "FY2023-Q4",
                "Above UPL",
            ],
        ),
        (
            draw_waterfall,
            [
                "What moved satisfaction",
                "Internal Revenue Service",
                "+0.03",
                "-0.01",
                "4.10",
                "4.16",
                "FY2022-Q4",
                "FY2023-Q1",
            ],
        ),
    ],
    ids=["xmr", "waterfall"],
)
def test_weasyprint_keeps_the_charts_text_as_text(draw: Any, expected: list[str]) -> None:
    text, asked = pdf_text(draw(), "Figure caption")
    assert asked == []
    assert "Figure caption" in text
    for label in expected:
        assert label in text, label


def test_weasyprint_draws_a_sparkline_without_fetching() -> None:
    svg = charts.sparkline([1.0, 2.0, None, 3.0], title="Trend", desc="Up.")
    text, asked = pdf_text(svg, "Sparkline caption")
    assert asked == [] and "Sparkline caption" in text


def test_weasyprint_draws_the_chart_not_only_its_text() -> None:
    """The chart's paths reach the page: a PDF with it is larger than one without."""
    fetcher = RefusingFetcher()
    empty = HTML(string="<p>x</p>", url_fetcher=fetcher).write_pdf()
    full = HTML(string=f"<p>x</p>{draw_xmr()}", url_fetcher=fetcher).write_pdf()
    assert empty is not None and full is not None
    assert len(full) > len(empty) + 2000
    assert fetcher.asked == []
