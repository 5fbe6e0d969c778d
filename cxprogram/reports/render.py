"""HTML to tagged PDF: WeasyPrint (PDF/UA-1) with a fetcher that serves only the
application's own static files, then the tagging post-pass (tagging.py).

No Flask, no database: the child process that renders a queued report imports this alone.
"""

from __future__ import annotations

import logging
import mimetypes
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from cxprogram.reports.tagging import TaggingOutcome, mend_tags

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
# The origin the report's own assets are named under. ".invalid" never resolves (RFC 6761),
# so nothing outside this process could ever answer for it.
STATIC_ORIGIN = "https://cxprogram.invalid"
BASE_URL = f"{STATIC_ORIGIN}/static/"
_PAGE_RE = re.compile(r"Creating layout - Page (\d+)")

PageCallback = Callable[[int], None]


class RefusedURL(ValueError):
    """The report asked for something that is not one of the application's static files."""


@dataclass
class StaticFetcher:
    """A WeasyPrint URL fetcher that serves files under cxprogram/static and refuses every
    other URL (file:, data:, other hosts, paths escaping the folder), logging each request."""

    root: Path = STATIC_DIR
    requested: list[str] = field(default_factory=list)
    served: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    _fail_on_errors: bool = False  # read by weasyprint.urls.fetch

    def __call__(self, url: str, headers: Any = None) -> Any:
        """Serve url when it names a static file; raise RefusedURL otherwise."""
        from weasyprint.urls import URLFetcherResponse

        self.requested.append(url)
        path = self.static_path(url)
        if path is None:
            self.refused.append(url)
            raise RefusedURL(f"the report fetches only its own static files, not {url[:200]!r}")
        self.served.append(url)
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": kind})

    fetch = __call__

    def static_path(self, url: str) -> Path | None:
        """The file a URL names inside the static folder, or None."""
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != STATIC_ORIGIN or parts.query:
            return None
        if not parts.path.startswith("/static/"):
            return None
        root = self.root.resolve()
        path = (root / unquote(parts.path.removeprefix("/static/"))).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            return None
        return path


@dataclass(frozen=True)
class RenderResult:
    """A rendered report: the PDF, its page count, what was fetched and the tagging mends."""

    pdf: bytes
    pages: int
    layout_seconds: float
    write_seconds: float
    tagging: TaggingOutcome
    served: tuple[str, ...]
    refused: tuple[str, ...]


class _PageCounter(logging.Handler):
    """Hears WeasyPrint's progress log and reports each page as it is laid out."""

    def __init__(self, on_page: PageCallback) -> None:
        super().__init__(logging.INFO)
        self.on_page = on_page

    def emit(self, record: logging.LogRecord) -> None:
        match = _PAGE_RE.search(record.getMessage())
        if match:
            self.on_page(int(match.group(1)))


def render_pdf(
    html: str, *, identifier: bytes, on_page: PageCallback | None = None
) -> RenderResult:
    """Lay out and write the report; the same HTML and identifier give the same bytes
    (the creation date comes from the HTML's dcterms.created)."""
    from weasyprint import HTML

    fetcher = StaticFetcher()
    options: dict[str, Any] = {"pdf_variant": "pdf/ua-1", "pdf_identifier": identifier}
    progress = logging.getLogger("weasyprint.progress")
    handler = _PageCounter(on_page or (lambda _: None))
    level = progress.level
    progress.addHandler(handler)
    progress.setLevel(logging.INFO)
    try:
        started = time.perf_counter()
        document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).render(**options)
        laid_out = time.perf_counter()
        raw = document.write_pdf(**options)
    finally:
        progress.removeHandler(handler)
        progress.setLevel(level)
    pdf, outcome = mend_tags(raw)
    return RenderResult(
        pdf, len(document.pages), laid_out - started, time.perf_counter() - laid_out, outcome,
        tuple(fetcher.served), tuple(fetcher.refused),
    )  # fmt: skip
