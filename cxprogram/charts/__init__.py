"""Charts as accessible inline SVG, drawn by matplotlib's SVG backend; the same markup serves
the pages and the quarterly PDF (WeasyPrint)."""

from __future__ import annotations

from collections.abc import Callable, Hashable

from markupsafe import Markup

from cxprogram.charts.cache import CacheInfo, ChartCache
from cxprogram.charts.describe import describe_series
from cxprogram.charts.sparkline import sparkline
from cxprogram.charts.waterfall import waterfall
from cxprogram.charts.xmr import xmr_chart

__all__ = [
    "CacheInfo",
    "cache_clear",
    "cache_info",
    "cached",
    "describe_series",
    "sparkline",
    "warm_up",
    "waterfall",
    "xmr_chart",
]

_CACHE = ChartCache()


def cached(key: tuple[Hashable, ...], build: Callable[[], Markup]) -> Markup:
    """The chart stored under key, drawn by build() the first time (bounded LRU, 512)."""
    return _CACHE.get_or_build(key, build)


def cache_info() -> CacheInfo:
    """Hits, misses and size of the chart cache."""
    return _CACHE.info()


def cache_clear() -> None:
    """Empty the chart cache (tests, benchmarks of the cold path)."""
    _CACHE.clear()


def warm_up() -> None:
    """Import matplotlib and load its font ahead of the first page: a worker's first chart
    otherwise pays for both (about 0.6 s of CPU on this machine)."""
    sparkline([0.0, 1.0], title="warm-up", desc="warm-up")
