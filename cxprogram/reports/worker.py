"""Make a report's PDF from its payload: in this process (the command line) or in a child
process with bounded memory and a deadline (the scheduler), reporting progress as it goes.

No database here: the parent reads the payload and records progress and the outcome.
"""

from __future__ import annotations

import multiprocessing
import signal
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from cxprogram.reports.facts import ReportFacts

Progress = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class RenderJob:
    """What the renderer is given: plain, picklable data."""

    document: dict[str, Any]
    facts: ReportFacts
    identifier: bytes
    made_at: str


@dataclass(frozen=True)
class Rendered:
    """A finished PDF with its page count and how long its two halves took."""

    pdf: bytes
    pages: int
    build_seconds: float
    render_seconds: float


@dataclass(frozen=True)
class Limits:
    """How long and how much memory (address space) a render may take."""

    timeout_seconds: float = 600
    memory_mb: int = 2048


class RenderFailed(RuntimeError):
    """The render did not produce a PDF; the message is the reason recorded."""


def produce(job: RenderJob, progress: Progress) -> Rendered:
    """Build the HTML section by section, then lay out and write the PDF."""
    from cxprogram.reports.content import build_model
    from cxprogram.reports.document import build_html
    from cxprogram.reports.render import render_pdf

    started = time.perf_counter()
    progress({"stage": "building sections"})
    model = build_model(job.document, job.facts, job.made_at)
    html = build_html(
        model, lambda done, total: progress({"sections_done": done, "sections_total": total})
    )
    built = time.perf_counter()
    progress({"stage": "laying out pages"})
    result = render_pdf(
        html, identifier=job.identifier, on_page=lambda n: progress({"pages_laid_out": n})
    )
    return Rendered(result.pdf, result.pages, built - started, time.perf_counter() - built)


def _child_main(conn: Connection, job: RenderJob, memory_mb: int) -> None:
    """The child process: limit memory, render, send progress and the result."""
    import resource

    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        rendered = produce(job, lambda values: conn.send(("progress", values)))
        conn.send(("done", rendered))
    except MemoryError:
        conn.send(("error", f"the render ran out of memory (limit {memory_mb} MB)"))
    except Exception as error:
        detail = traceback.format_exception_only(type(error), error)[-1].strip()
        conn.send(("error", f"the render failed: {detail}"))
    finally:
        conn.close()


def render_in_child(
    job: RenderJob, limits: Limits, progress: Progress, started: Callable[[int], None]
) -> Rendered:
    """Render in a spawned child process; RenderFailed names why when it does not finish
    (an error, memory, a crash or kill, the deadline)."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_child_main, args=(sender, job, limits.memory_mb), name="cx-report-render"
    )
    child.start()
    sender.close()
    started(child.pid or 0)
    try:
        return _wait(child, receiver, limits, progress)
    finally:
        if child.is_alive():
            child.kill()
        child.join(5)
        receiver.close()


def _wait(child: Any, receiver: Connection, limits: Limits, progress: Progress) -> Rendered:
    deadline = time.monotonic() + limits.timeout_seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            child.kill()
            raise RenderFailed(f"the render timed out after {limits.timeout_seconds:g} s")
        if receiver.poll(min(left, 0.5)):
            try:
                kind, value = receiver.recv()
            except EOFError:
                raise RenderFailed(_ended(child)) from None
            if kind == "progress":
                progress(value)
            elif kind == "done":
                return value  # type: ignore[no-any-return]
            else:
                raise RenderFailed(str(value))
        elif not child.is_alive():
            raise RenderFailed(_ended(child))


def _ended(child: Any) -> str:
    """Why a child that sent no result ended."""
    child.join(5)
    code = child.exitcode
    if code is not None and code < 0:
        name = signal.Signals(-code).name
        return f"the render process was killed by {name} before it finished"
    return f"the render process exited with status {code} before it finished"


def limits_from(config: dict[str, Any]) -> Limits:
    """The limits in an application's configuration."""
    return Limits(
        float(config.get("CX_REPORT_TIMEOUT_SECONDS", 600)),
        int(config.get("CX_REPORT_MEMORY_MB", 2048)),
    )
