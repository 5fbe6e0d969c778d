"""A small organization for the report tests, built with the suite's factories: four
departments over six quarters (one with a very long name), two standard metrics, a red
explained by a note, a strategy; hostile text where the tests ask for it."""

from __future__ import annotations

import io
import re
import subprocess
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pikepdf

from cxprogram.extensions import db

LONG_NAME = (
    "Department of Extraordinarily Long Names, Administrative Procedures, Interagency "
    "Coordination and Customer Correspondence"
)
PERIODS = ["FY2022-Q1", "FY2022-Q2", "FY2022-Q3", "FY2022-Q4", "FY2023-Q1", "FY2023-Q2"]
HOSTILE = (
    '<img src="file:///etc/passwd"> <a href="https://evil.example/steal">a link</a> '
    '<img src="data:image/png;base64,iVBORw0KGgo="> <script>alert("x")</script> '
    '<link rel="stylesheet" href="http://other-host.example/x.css">'
)


def build_org(
    factories: dict[str, Callable[..., Any]], note: str = "Staff shortage in March.",
    description: str = "Answer every call within a minute.",
) -> dict[str, Any]:  # fmt: skip
    """Create the organization; returns its period and departments."""
    from cxprogram.strategies.models import Milestone, Strategy, StrategyStatus

    factories["settings"]("Report Test Org")
    metrics = factories["metrics"]("satisfaction", "trust")
    depts = [factories["department"]("AAA", "Alpha Agency"),
             factories["department"]("BBB", LONG_NAME),
             factories["department"]("CCC", "Gamma Office"),
             factories["department"]("DDD", "Delta Bureau")]  # fmt: skip
    periods = [factories["period"](label) for label in PERIODS]
    for i, period in enumerate(periods):
        for j, dept in enumerate(depts):
            for k, metric in enumerate(metrics.values()):
                value = 3.6 + 0.1 * j + 0.05 * ((i + k) % 3)
                is_red = (dept.code, period.label, metric.code) == ("AAA", PERIODS[-1], "trust")
                factories["observation"](dept, metric, period, 2.1 if is_red else value,
                                         n=100 + 10 * j, note=note if is_red else "")  # fmt: skip
    strategy = Strategy(department=depts[0], title="Call-back service", description=description,
                        status=StrategyStatus.ON_TRACK, progress=40,
                        start_date=date(2021, 10, 1), effective_date=date(2022, 1, 15))  # fmt: skip
    strategy.milestones.append(Milestone(title="Pilot", due_date=date(2022, 3, 1), is_done=True))
    db.session.add(strategy)
    db.session.flush()
    return {"period": periods[-1], "departments": depts, "metrics": metrics}


def roll_up(period: Any) -> Any:
    """The period's snapshot (earlier periods rolled up too, as the nightly job would)."""
    from cxprogram.rollup.services import run_rollup

    now = datetime(2023, 4, 20, tzinfo=UTC)
    for label in PERIODS:
        from cxprogram.metrics.queries import period_by_label

        outcome = run_rollup(period_by_label(label), now)
    return outcome.snapshot


def pdf_text(data: bytes, first: int | None = None, last: int | None = None) -> str:
    """pdftotext's reading of the PDF (or of some pages)."""
    args = ["pdftotext", "-layout"]
    if first:
        args += ["-f", str(first), "-l", str(last or first)]
    result = subprocess.run([*args, "-", "-"], input=data, capture_output=True, check=True)
    return result.stdout.decode()


def structure(data: bytes) -> tuple[pikepdf.Pdf, list[tuple[str, Any]]]:
    """The open PDF (keep it: its objects live as long as it does) and every structure
    element (tag, element) in reading order."""
    pdf = pikepdf.open(io.BytesIO(data))
    out: list[tuple[str, Any]] = []

    def walk(element: Any) -> None:
        out.append((str(element.get("/S")), element))
        k = element.get("/K")
        kids = list(k) if isinstance(k, pikepdf.Array) else [k]
        for kid in kids:
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                walk(kid)

    walk(pdf.Root.StructTreeRoot.K[0])
    return pdf, out


def normalise(text: str) -> str:
    """Text with runs of whitespace as one space (pdftotext wraps and pads)."""
    return re.sub(r"\s+", " ", text)
