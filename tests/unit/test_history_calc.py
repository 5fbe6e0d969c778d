"""The history's words, tested without a database: values at their unit's precision, and
sentences that never show internal names (issue 12, item 7)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cxprogram.audit.calc import MetricLook, Names, compute_entries
from cxprogram.core.numbers import format_change, format_value

ROOT = Path(__file__).resolve().parents[2]
NAMES = Names(
    people={1: "Dana Ortiz"},
    metrics={"abandonment_rate": MetricLook("Abandonment rate", "percent"),
             "speed_of_answer": MetricLook("Average speed of answer", "seconds"),
             "trust": MetricLook("Trust", "points", precision=1)},
    channels={"phone": "Phone"},
    departments={7: "VA"},
    strategies={"5": "Call-backs"},
)  # fmt: skip


@dataclass(frozen=True)
class Event:
    action: str
    entity_type: str
    entity_id: str = "1"
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    actor_id: int | None = 1
    actor_label: str = "dana@example.test"
    department_id: int | None = 7
    period_label: str | None = "FY2024-Q1"
    reason: str | None = None
    occurred_at: datetime = datetime(2024, 1, 5, 15, 30, tzinfo=UTC)


def _one(event: Event, **kw: Any) -> Any:
    (entry,) = compute_entries([event], NAMES, ZoneInfo("America/New_York"), **kw)
    return entry


@pytest.mark.parametrize(
    ("value", "unit", "precision", "text"),
    [
        (12.5, "percent", None, "12.5 %"),
        (4.25, "points", None, "4.25"),
        (4.25, "points", 1, "4.2"),  # the metric's own precision wins
        (45.6, "seconds", None, "46 seconds"),
        (1.0, "days", None, "1 day"),
        (12345.0, "count", None, "12,345"),
        (None, "percent", None, "no value"),
    ],
)
def test_values_read_at_their_precision(
    value: float | None, unit: str, precision: int | None, text: str
) -> None:
    assert format_value(value, unit, precision) == text


def test_a_change_rounding_would_hide_shows_full_precision() -> None:
    assert format_change(45.6, 45.9, "seconds") == ("45.6 seconds", "45.9 seconds")
    assert format_change(10.2, 12.5, "percent") == ("10.2 %", "12.5 %")


def test_an_observation_change_reads_as_the_issue_writes_it() -> None:
    place = {"metric": "abandonment_rate", "channel": "phone", "service": None, "n": 300}
    event = Event("update", "observation", "99", before={"id": 99, **place, "value": 10.2},
                  after={"id": 99, **place, "value": 12.5})  # fmt: skip
    entry = _one(event)
    assert (
        entry.sentence == "Dana Ortiz changed Abandonment rate, VA, Phone, from 10.2 % to 12.5 %."
    )
    assert entry.occurred_at.tzname() == "EST" and entry.occurred_at.hour == 10


def test_a_label_change_is_said_and_an_unlabelled_row_reads_as_before() -> None:
    place = {"metric": "trust", "channel": None, "service": None, "n": 40, "value": 4.0,
             "record": "STD-1"}  # fmt: skip
    event = Event("update", "observation", "9", before={"id": 9, **place, "label": "Mail"},
                  after={"id": 9, **place, "label": "Mail in 10 days"})  # fmt: skip
    assert _one(event).sentence == (
        "Dana Ortiz changed Trust, VA, record STD-1, the label to “Mail in 10 days”."
    )
    same = Event("update", "observation", "9", before={"id": 9, **place},
                 after={"id": 9, **place, "label": ""})  # fmt: skip
    assert _one(same).sentence == "Dana Ortiz saved Trust, VA, record STD-1 unchanged."


def test_a_strategy_milestone_on_each_page() -> None:
    event = Event("complete_milestone", "strategy", "5", period_label=None,
                  before={"milestone": "Pick", "done": False},
                  after={"milestone": "Pick", "done": True})  # fmt: skip
    assert (
        _one(event).sentence
        == "Dana Ortiz marked the milestone “Pick” of the strategy “Call-backs” done."
    )
    assert (
        _one(event, on_strategy_page=True).sentence
        == "Dana Ortiz marked the milestone “Pick” done."
    )


def test_an_unknown_event_still_reads_in_words() -> None:
    event = Event("frobnicate", "widget_thing", "42", actor_id=None, actor_label="system",
                  before={"is_active": True, "version": 1},
                  after={"is_active": False, "version": 2})  # fmt: skip
    entry = _one(event)
    assert entry.sentence == "A command or scheduled job changed the widget thing."
    assert entry.details == ("Active from yes to no",)
    assert "42" not in entry.sentence and "frobnicate" not in entry.sentence


def test_an_import_names_its_first_rows_and_counts_the_rest() -> None:
    rows = [{"metric": "speed_of_answer", "value": 90.0 + i, "n": 10} for i in range(60)]
    after = {"source": "import", "origin": "calls.csv", "added": rows, "changed": []}
    event = Event("import", "observations", "VA/FY2024-Q1", after=after)
    entry = _one(event)
    assert entry.sentence == "Dana Ortiz imported 60 values of VA for FY2024-Q1 from calls.csv."
    assert entry.details[0] == "Average speed of answer, VA: 90 seconds (n = 10)"
    assert len(entry.details) == 51 and entry.details[-1].startswith("and 10 more")


def test_the_history_modules_are_pure() -> None:
    for name in ("audit/calc.py", "audit/wording.py", "core/numbers.py"):
        tree = ast.parse((ROOT / "cxprogram" / name).read_text())
        modules = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert not {m for m in modules if m.split(".")[0] in {"flask", "sqlalchemy"}}, name
        assert "cxprogram.extensions" not in modules, name
