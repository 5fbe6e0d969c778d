"""The chart module: accessible, self-contained, deterministic SVG; gaps for None; the cache."""

from __future__ import annotations

import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest
from markupsafe import Markup, escape

from cxprogram import charts
from cxprogram.charts import palette
from cxprogram.charts.cache import ChartCache
from cxprogram.charts.svg import UnsafeChartError, finish

SVG = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
LABELS = [f"FY{2021 + i // 4}-Q{i % 4 + 1}" for i in range(12)]
VALUES: list[float | None] = [4.0, 4.1, 3.9, None, 4.05, 4.2, 4.1, 3.95, 4.0, 4.6, 4.1, 3.5]


def draw_sparkline(values: list[float | None] | None = None) -> Markup:
    return charts.sparkline(
        values if values is not None else [4.1, 4.2, None, 4.0, 4.3, 4.25, 4.3, 4.4],
        title="Satisfaction, last 8 quarters",
        desc="Rose from 4.10 to 4.40.",
    )


def draw_waterfall(parts: list[tuple[str, float]] | None = None) -> Markup:
    return charts.waterfall(
        4.10,
        parts or [("IRS service", 0.03), ("SSA service", -0.01), ("Customer mix", 0.04)],
        4.16,
        title="What moved satisfaction",
        desc="Overall satisfaction rose 0.06.",
        start_label="FY2022-Q4",
        end_label="FY2023-Q1",
    )


def draw_xmr(values: list[float | None] | None = None) -> Markup:
    return charts.xmr_chart(
        LABELS,
        values or VALUES,
        center=4.05,
        lpl=3.7,
        upl=4.4,
        org_values=[4.02, 4.03, None, 4.01, 4.0, 4.04, 4.05, 4.02, 4.0, 4.1, 4.05, 4.0],
        target=4.2,
        title="Satisfaction, Veterans Affairs",
        desc="Common cause variation; the target is hit or miss.",
    )


DRAWERS: dict[str, Callable[[], Markup]] = {
    "sparkline": draw_sparkline,
    "waterfall": draw_waterfall,
    "xmr": draw_xmr,
}


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output, the thing under test


@pytest.mark.parametrize("kind", sorted(DRAWERS))
def test_chart_is_an_accessible_image(kind: str) -> None:
    svg = DRAWERS[kind]()
    assert isinstance(svg, Markup)
    assert not str(svg).startswith("<?xml") and "<!DOCTYPE" not in svg
    root = parse(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title, desc = root[0], root[1]
    assert title.tag == f"{SVG}title" and title.text
    assert desc.tag == f"{SVG}desc" and desc.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert root.get("viewBox")
    assert root.get("class") == f"cx-chart cx-chart--{kind}"


@pytest.mark.parametrize("kind", sorted(DRAWERS))
def test_chart_is_self_contained_and_styled_without_style_attributes(kind: str) -> None:
    svg = DRAWERS[kind]()
    root = parse(svg)
    ids = {el.get("id") for el in root.iter() if el.get("id")}
    for el in root.iter():
        href = el.get(XLINK_HREF) or el.get("href")
        if href is not None:
            assert href.startswith("#") and href[1:] in ids, href
        # The app's CSP (style-src 'self') would drop style="..." and <style>.
        assert el.get("style") is None, el.tag
        assert el.tag not in (f"{SVG}style", f"{SVG}image", f"{SVG}foreignObject", f"{SVG}script")
    for ref in re.findall(r"url\(([^)]*)\)", svg):
        assert ref.startswith("#") and ref[1:] in ids
    assert "@import" not in svg
    # Every id belongs to this chart: two charts on one page never collide.
    assert all(i.startswith(root.get("id", "?")) for i in ids)


def test_text_stays_text() -> None:
    root = parse(draw_xmr())
    texts = ["".join(el.itertext()) for el in root.iter(f"{SVG}text")]
    for expected in ("FY2021-Q1", "FY2023-Q4", "UPL 4.40", "LPL 3.70", "Centre 4.05"):
        assert expected in texts
    assert "Organization" in texts and "Target" in texts
    assert "Satisfaction, Veterans Affairs" in texts  # the drawn title
    assert not root.findall(f".//{SVG}defs/{SVG}path[@d]") or texts  # glyphs not paths
    assert "font-family" in str(draw_waterfall())


def test_waterfall_labels_each_part_with_its_sign() -> None:
    root = parse(draw_waterfall())
    texts = ["".join(el.itertext()) for el in root.iter(f"{SVG}text")]
    for expected in ("+0.03", "-0.01", "+0.04", "4.10", "4.16", "IRS service", "FY2022-Q4"):
        assert expected in texts
    assert any("left lowered" in t for t in texts)


def test_waterfall_bars_go_right_for_a_rise_and_left_for_a_fall() -> None:
    svg = str(draw_waterfall([("Up", 0.05), ("Down", -0.05)]))
    fills = re.findall(r'<path d="([^"]+)"[^>]*fill="(#[0-9a-f]{6})"', svg)
    up = [d for d, fill in fills if fill == palette.SUCCESS_DARK]
    down = [d for d, fill in fills if fill == palette.SECONDARY_DARK]
    assert len(up) == 1 and len(down) == 1

    def x_range(d: str) -> tuple[float, float]:
        xs = [float(x) for x in re.findall(r"([-\d.]+) [-\d.]+", d)]
        return min(xs), max(xs)

    # The fall starts where the rise ended (running total) and goes back left by as much.
    up_left, up_right = x_range(up[0])
    down_left, down_right = x_range(down[0])
    assert down_right == pytest.approx(up_right, abs=0.01)
    assert down_left == pytest.approx(up_left, abs=0.01)


def test_waterfall_with_many_parts_grows_taller_not_cramped() -> None:
    few = parse(draw_waterfall([("A", 0.01)]))
    many = parse(draw_waterfall([(f"Department number {i}", 0.01 * (-1) ** i) for i in range(20)]))
    height = lambda root: float(root.get("viewBox", "").split()[3])  # noqa: E731
    assert height(many) > 3 * height(few)
    texts = ["".join(el.itertext()) for el in many.iter(f"{SVG}text")]
    assert "Department number 19" in texts


@pytest.mark.parametrize("kind", sorted(DRAWERS))
def test_same_input_same_bytes(kind: str) -> None:
    assert str(DRAWERS[kind]()) == str(DRAWERS[kind]())


def test_ids_differ_between_charts_and_stay_stable() -> None:
    a, b = parse(draw_sparkline([1.0, 2.0])), parse(draw_sparkline([2.0, 1.0]))
    assert a.get("id") != b.get("id")
    assert a.get("id") == parse(draw_sparkline([1.0, 2.0])).get("id")


def line_moves(svg: Markup, colour: str) -> list[str]:
    """The move-to commands of the first path stroked in colour (one per line segment)."""
    match = re.search(rf'<path d="([^"]+)"[^>]*stroke="{colour}"', str(svg))
    assert match is not None
    return re.findall(r"M [-\d.]+ [-\d.]+", match.group(1))


def test_none_values_leave_gaps() -> None:
    assert len(line_moves(draw_sparkline([1.0, 2.0, 3.0, 4.0]), palette.PRIMARY)) == 1
    assert len(line_moves(draw_sparkline([1.0, 2.0, None, 3.0, 4.0]), palette.PRIMARY)) == 2
    values: list[float | None] = [4.0, 4.1, None, 4.0, 4.1, None, 4.0, 4.1, 4.0, 4.1, 4.0, 4.1]
    assert len(line_moves(draw_xmr(values), palette.PRIMARY)) == 3


def test_sparkline_marks_the_last_point_with_data_and_isolated_points() -> None:
    svg = str(draw_sparkline([1.0, None, 2.0, 3.0, None]))
    uses = re.findall(r'<use xlink:href="#([^"]+)" x="([-\d.]+)" y="([-\d.]+)"', svg)
    xs = sorted({float(x) for _, x, _ in uses})
    assert len(xs) == 2  # the isolated first value, and the last value with data (index 3)
    assert not re.search(r"<text", svg)  # no axes clutter


def test_sparkline_without_any_data_is_still_a_chart() -> None:
    root = parse(draw_sparkline([None, None]))
    assert root.get("role") == "img"


def test_xmr_marks_points_outside_the_limits_by_shape() -> None:
    svg = str(draw_xmr())
    texts = ["".join(el.itertext()) for el in parse(svg).iter(f"{SVG}text")]
    assert "Above UPL" in texts and "Below LPL" in texts
    markers = re.findall(r'<path id="[^"]+" d="([^"]+)"[^>]*stroke="#b50909"', svg)
    assert len(markers) == 2  # a triangle up and a triangle down: two distinct shapes
    assert markers[0] != markers[1]


def test_xmr_without_limits_draws_the_series_only() -> None:
    svg = charts.xmr_chart(
        LABELS[:3],
        [1.0, 2.0, 3.0],
        center=None,
        lpl=None,
        upl=None,
        org_values=None,
        target=None,
        title="Short",
        desc="Too short for limits.",
    )
    texts = ["".join(el.itertext()) for el in parse(svg).iter(f"{SVG}text")]
    assert not any(t.startswith(("UPL", "LPL", "Centre")) for t in texts)
    assert "Organization" not in texts


def test_xmr_line_labels_do_not_overlap_when_lines_are_close() -> None:
    svg = charts.xmr_chart(
        LABELS[:6],
        [4.0, 4.1, 4.0, 4.1, 4.0, 4.1],
        center=4.05,
        lpl=3.9,
        upl=4.2,
        org_values=None,
        target=4.06,
        title="Close lines",
        desc="d",
    )
    pattern = r'<text [^>]*y="([-\d.]+)"[^>]*>(?:Centre|Target|UPL|LPL) [\d.]+<'
    ys = [float(y) for y in re.findall(pattern, str(svg))]
    assert len(ys) == 4
    ys.sort()
    assert min(b - a for a, b in zip(ys, ys[1:], strict=False)) >= 7  # pt, font is 7.5


def test_user_text_is_escaped_and_never_read_as_maths() -> None:
    svg = charts.waterfall(
        1.0,
        [("<script>alert(1)</script> & $x$", 0.5)],
        1.5,
        title="<b>T</b>",
        desc='"quoted" & <i>',
        start_label="a",
        end_label="b",
    )
    assert "<script>" not in svg and "<b>" not in svg and "<i>" not in svg
    root = parse(svg)
    assert root[0].text == "<b>T</b>"
    texts = ["".join(el.itertext()) for el in root.iter(f"{SVG}text")]
    # The long name wraps onto two lines, each its own <text>.
    assert "<script>alert(1)</script>" in texts and "& $x$" in texts


def test_finish_refuses_external_references() -> None:
    raw = '<svg viewBox="0 0 10 10"><image xlink:href="file:///etc/passwd"/></svg>'
    with pytest.raises(UnsafeChartError):
        finish(raw, cid="c", title="t", desc="d", kind="k")
    raw = '<svg viewBox="0 0 10 10"><path fill="url(http://x/y)"/></svg>'
    with pytest.raises(UnsafeChartError):
        finish(raw, cid="c", title="t", desc="d", kind="k")


def test_palette_contrast_is_at_least_3_to_1() -> None:
    for colour in palette.MEANINGFUL:
        assert palette.contrast_ratio(colour) >= 3.0, colour
    assert palette.contrast_ratio("#ffffff") == pytest.approx(1.0)
    assert palette.contrast_ratio("#000000") == pytest.approx(21.0)


@pytest.mark.parametrize("kind", sorted(DRAWERS))
def test_every_colour_drawn_is_from_the_palette(kind: str) -> None:
    used = set(re.findall(r'(?:fill|stroke)="(#[0-9a-f]{6})"', str(DRAWERS[kind]())))
    assert used <= {*palette.MEANINGFUL, palette.GRID, palette.BACKGROUND}, used


def test_cached_builds_once() -> None:
    charts.cache_clear()
    calls = []

    def build() -> Markup:
        calls.append(1)
        return draw_sparkline()

    first = charts.cached(("snap", 1, "sparkline", "satisfaction"), build)
    second = charts.cached(("snap", 1, "sparkline", "satisfaction"), build)
    assert first == second and len(calls) == 1
    charts.cached(("snap", 2, "sparkline", "satisfaction"), build)
    assert len(calls) == 2
    info = charts.cache_info()
    assert (info.hits, info.misses, info.size) == (1, 2, 2)


def test_cache_stays_bounded_and_drops_the_least_recently_used() -> None:
    cache = ChartCache(max_entries=3)
    for i in range(3):
        cache.get_or_build(i, lambda i=i: escape(str(i)))
    cache.get_or_build(0, lambda: escape("rebuilt"))  # 0 becomes the most recent
    cache.get_or_build(3, lambda: escape("3"))  # 1 is dropped
    assert cache.info().size == 3
    assert cache.get_or_build(0, lambda: escape("rebuilt")) == "0"
    assert cache.get_or_build(1, lambda: escape("rebuilt")) == "rebuilt"
    assert charts.cache_info().max_entries == 512


def test_charts_drawn_from_threads_at_once_are_the_same_as_alone() -> None:
    expected = {kind: str(draw()) for kind, draw in DRAWERS.items()}
    results: list[tuple[str, str]] = []

    def work(kind: str) -> None:
        for _ in range(3):
            results.append((kind, str(DRAWERS[kind]())))

    threads = [threading.Thread(target=work, args=(k,)) for k in sorted(DRAWERS) * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 18
    assert all(svg == expected[kind] for kind, svg in results)


def test_describe_series_in_plain_words() -> None:
    text = charts.describe_series(["Q1", "Q2", "Q3", "Q4"], [4.1, None, 3.9, 4.3])
    assert text == (
        "4 periods, Q1 to Q4: first 4.10 in Q1, last 4.30 in Q4; lowest 3.90 in Q3, "
        "highest 4.30 in Q4; no data in 1 period."
    )
    assert charts.describe_series(["Q1"], [None]) == "1 period, Q1: no data."
    assert charts.describe_series(["Q1", "Q2"], [80.0, 90.5], "{:.1f}%").endswith("90.5% in Q2.")


def test_warm_up_draws_without_touching_the_cache() -> None:
    charts.cache_clear()
    charts.warm_up()
    assert charts.cache_info().size == 0
