"""The quarterly PDF read back: tagged PDF/UA-1 structure (pikepdf), text (pdftotext), user
text escaped with nothing fetched outside the static files, pages drawn (pdftoppm)."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from PIL import Image

from cxprogram.reports import content, document, render, services
from tests.integration.report_data import (
    HOSTILE,
    LONG_NAME,
    build_org,
    normalise,
    pdf_text,
    roll_up,
    structure,
)

MADE_AT = "2023-04-21T09:00:00+00:00"


@pytest.fixture
def factories(
    make_settings: Any, make_metrics: Any, make_department: Any, make_period: Any,
    make_observation: Any,
) -> dict[str, Any]:  # fmt: skip
    return {"settings": make_settings, "metrics": make_metrics, "department": make_department,
            "period": make_period, "observation": make_observation}  # fmt: skip


def _render(org: dict[str, Any]) -> tuple[render.RenderResult, str, dict[str, Any]]:
    period = org["period"]
    snapshot = roll_up(period)
    payload = services.report_payload(period, snapshot, None)
    model = content.build_model(payload.document, payload.facts, MADE_AT)
    html = document.build_html(model)
    return render.render_pdf(html, identifier=payload.identifier), html, payload.document


@pytest.fixture
def rendered(factories: dict[str, Any]) -> tuple[render.RenderResult, str, dict[str, Any]]:
    return _render(build_org(factories))


def test_the_pdf_is_tagged_pdf_ua_with_language_title_and_bookmarks(rendered: Any) -> None:
    result, _, doc = rendered
    pdf = pikepdf.open(io.BytesIO(result.pdf))
    assert pdf.Root.MarkInfo.Marked is True
    assert "/StructTreeRoot" in pdf.Root
    assert str(pdf.Root.Lang) == "en-US"
    assert pdf.Root.ViewerPreferences.DisplayDocTitle is True
    with pdf.open_metadata() as xmp:
        assert xmp.get("pdfuaid:part") == "1"
        assert f"quarterly customer experience report, {doc['period']}" in xmp.get("dc:title")
    assert "Report Test Org" in str(pdf.docinfo["/Title"])
    outline = [item.title for item in pdf.open_outline().root]
    assert outline[0].startswith("Quarterly customer experience report")
    assert len(pdf.pages) == result.pages


def test_headings_figures_and_tables_are_tagged(rendered: Any) -> None:
    result, html, _ = rendered
    _pdf, elements = structure(result.pdf)
    levels = [int(tag[2]) for tag, _ in elements if re.fullmatch(r"/H[1-6]", tag)]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), levels
    figures = [e for tag, e in elements if tag == "/Figure"]
    assert len(figures) == html.count("<svg") >= 3  # waterfalls and one XmR per department
    for figure in figures:
        alt = str(figure.get("/Alt", ""))
        assert len(alt) > 40 and "chart" not in alt.lower()[:6], alt
        assert re.search(r"\d\.\d\d", alt), f"the alternative text carries the data: {alt}"
    tables = [e for tag, e in elements if tag == "/Table"]
    assert len(tables) == html.count("<table")  # a table split across pages stays one table
    headers = [e for tag, e in elements if tag == "/TH"]
    assert headers and all(str(h.A.Scope) in ("/Column", "/Row") for h in headers)
    assert result.tagging.scopes_added == len(headers)


def test_every_department_is_named_and_the_overall_scores_match_the_snapshot(
    rendered: Any,
) -> None:
    result, _, doc = rendered
    text = normalise(pdf_text(result.pdf))
    for name in ("Alpha Agency", "Gamma Office", "Delta Bureau", LONG_NAME):
        assert name in text, name
    summary = text.split(f"Overall scores, {doc['period']}")[1].split("What moved the overall")[0]
    for code, block in doc["metrics"].items():
        name = block.get("name") or {"satisfaction": "Satisfaction", "trust": "Trust"}[code]
        row = re.search(re.escape(re.split(r"\W", name)[0]) + r"[^0-9]*([0-9]\.[0-9]{2})", summary)
        assert row and row.group(1) == f"{block['org_score']:.2f}", (code, summary[:400])
    assert "Staff shortage in March." in text  # the red's explanation


def test_running_headers_page_numbers_and_contents_with_page_numbers(rendered: Any) -> None:
    result, _, _ = rendered
    pages = [normalise(pdf_text(result.pdf, n)) for n in range(1, result.pages + 1)]
    assert "Page 1 of" not in pages[0] and "Report Test Org · FY2023-Q2" not in pages[0]
    for n, page in enumerate(pages[1:], start=2):
        assert f"Page {n} of {result.pages}" in page
        assert "Report Test Org · FY2023-Q2" in page  # the running header
    contents = pages[1]
    found = re.search(r"Executive summary \.*\s*(\d+)", contents)
    assert found and "Executive summary" in pages[int(found.group(1)) - 1]
    assert re.search(r"Appendix B: data \.*\s*\d+", contents)


def test_user_text_is_escaped_and_nothing_outside_the_static_files_is_fetched(
    factories: dict[str, Any],
) -> None:
    result, html, _ = _render(build_org(factories, note=HOSTILE, description=HOSTILE))
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    text = re.sub(r"\s+", "", pdf_text(result.pdf))
    for shown in ('<img src="file:///etc/passwd">', "https://evil.example/steal",
                  "data:image/png;base64", '<script>alert("x")</script>'):  # fmt: skip
        assert text.count(shown.replace(" ", "")) >= 2, (
            shown
        )  # the strategy's description and the note
    assert result.refused == ()
    assert result.served and all(
        url.startswith(render.BASE_URL + "uswds/fonts/") for url in result.served
    )
    pdf = pikepdf.open(io.BytesIO(result.pdf))
    fonts = {str(f.get("/BaseFont")) for page in pdf.pages for f in page.Resources.Font.values()}
    assert any("Source-Sans-Pro" in f for f in fonts) and any("Merriweather" in f for f in fonts)
    assert all(
        "/FontFile2" in d or "/FontFile3" in d or "/FontFile" in d
        for page in pdf.pages
        for f in page.Resources.Font.values()
        for d in [
            f.DescendantFonts[0].FontDescriptor
            if "/DescendantFonts" in f
            else f.get("/FontDescriptor", {"/FontFile": 1})
        ]
    )  # every font embedded


@pytest.mark.parametrize("url", [
    "file:///etc/passwd", "data:text/css;base64,Ym9keXt9", "https://evil.example/x.css",
    f"{render.STATIC_ORIGIN}/static/../../config.py", f"{render.STATIC_ORIGIN}/other/app.css",
    "https://cxprogram.invalid.evil.example/static/app.css",
])  # fmt: skip
def test_the_fetcher_refuses_anything_but_static_files(url: str) -> None:
    fetcher = render.StaticFetcher()
    with pytest.raises(render.RefusedURL):
        fetcher(url)
    assert fetcher.refused == [url] and fetcher.served == []
    assert fetcher(render.BASE_URL + "app.css").read().startswith(b"/*") or fetcher.served


def test_the_same_snapshot_gives_the_same_pdf(factories: dict[str, Any]) -> None:
    org = build_org(factories)
    first, _, _ = _render(org)
    second, _, _ = _render(org)
    assert first.pdf == second.pdf  # same snapshot, same facts, same date: same bytes


def test_pages_are_drawn_cover_and_department_page_as_intended(
    rendered: Any, tmp_path: Path
) -> None:
    result, _, _ = rendered
    (tmp_path / "r.pdf").write_bytes(result.pdf)
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(tmp_path / "r.pdf"), str(tmp_path / "p")],
                   check=True)  # fmt: skip
    images = sorted(tmp_path.glob("p-*.png"))
    assert len(images) == result.pages
    for image in images:
        assert _ink(Image.open(image)) > 0.01, f"{image.name} is blank"
    cover = normalise(pdf_text(result.pdf, 1))
    assert "Quarterly customer experience report: FY2023-Q2" in cover
    assert "Inputs hash" in cover and "Page 1" not in cover  # no page number on the cover
    top = Image.open(images[0]).convert("L")
    assert _ink(top.crop((0, 0, top.width, top.height // 8))) < 0.002  # an empty top margin
    department = next(n for n in range(1, result.pages + 1)
                      if "Scores against targets" in pdf_text(result.pdf, n))  # fmt: skip
    page = Image.open(images[department - 1]).convert("L")
    assert _ink(page.crop((0, page.height // 3, page.width, page.height))) > 0.02  # the chart


def _ink(image: Image.Image) -> float:
    """The share of pixels that are not white."""
    grey = image.convert("L")
    histogram = grey.histogram()
    return 1 - sum(histogram[245:]) / (grey.width * grey.height)
