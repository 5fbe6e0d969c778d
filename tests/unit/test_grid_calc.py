"""The grid's pure rules: numbers at a metric's precision, scales as a person writes them,
and the note a red needs only when the department's pooled score is red (SPEC 4.5)."""

from __future__ import annotations

import pytest

from cxprogram.metrics.calc import MetricRule, PooledCell, compute_note_errors
from cxprogram.metrics.display import decimals_of, describe_scale, format_full, format_value
from cxprogram.metrics.observation_payload import is_offered

SURVEY = MetricRule("Satisfaction", 4.0, 0.25, True, 1.0, 5.0, "weighted_mean", "1 to 5", 2)


@pytest.mark.parametrize(
    ("low", "high", "unit", "text"),
    [
        (1.0, 5.0, "points", "1 to 5"),
        (0.0, 100.0, "percent", "0 to 100 %"),
        (0.0, None, "seconds", "0 s or more, no upper limit"),
        (0.0, 1e9, "days", "0 days or more, no upper limit"),  # the old catalog's bound
        (None, None, "count", "no limits"),
        (None, 10.0, "count", "up to 10, no lower limit"),
    ],
)
def test_scales_read_as_a_person_writes_them(
    low: float | None, high: float | None, unit: str, text: str
) -> None:
    assert describe_scale(low, high, unit) == text
    assert "e+" not in describe_scale(low, high, unit)


def test_values_at_the_metric_precision_and_in_full() -> None:
    assert [decimals_of(None, u) for u in ("points", "percent", "seconds", "days")] == [2, 1, 0, 0]
    assert decimals_of(3, "points") == 3
    assert format_value(4.266666, 2) == "4.27" and format_value(12.345, 1) == "12.3"
    assert format_value(61.6, 0) == "62" and format_value(None, 2) == ""
    assert format_value(-0.2, 0) == "0" and format_value(1234567.0, 0) == "1234567"
    assert format_full(4.266666) == "4.266666" and format_full(120.0) == "120"


def _cell(
    key: str, value: float, n: float | None, note: str = "", changed: bool = True
) -> PooledCell:
    return PooledCell(key, key, value, n, note, changed)


def test_a_red_row_inside_a_green_department_needs_no_note() -> None:
    cells = [_cell("dept", 4.6, 900, changed=False), _cell("phone", 3.0, 100)]
    assert compute_note_errors(SURVEY, cells) == []  # pooled 4.44: green


def test_a_red_department_score_asks_the_changed_red_row_for_a_note() -> None:
    cells = [_cell("dept", 4.6, 100, changed=False), _cell("phone", 3.0, 900)]
    [error] = compute_note_errors(SURVEY, cells)  # pooled 3.16: red
    assert (error.key, error.field) == ("phone", "note")
    assert "department's pooled score (3.16)" in error.reason


def test_a_green_change_that_turns_the_department_red_is_asked_too() -> None:
    cells = [_cell("web", 3.0, 900, changed=False), _cell("dept", 4.1, 100)]
    [error] = compute_note_errors(SURVEY, cells)
    assert error.key == "dept" and error.reason.startswith("the department's pooled score (3.11)")


def test_one_note_explains_the_red_and_untouched_metrics_are_not_held_up() -> None:
    noted = [_cell("dept", 2.0, 10, note="outage", changed=False), _cell("web", 2.0, 10)]
    assert compute_note_errors(SURVEY, noted) == []
    untouched = [_cell("dept", 2.0, 10, changed=False)]
    assert compute_note_errors(SURVEY, untouched) == []


def test_a_channel_is_held_against_the_channels_the_service_names() -> None:
    offered = {1: {10, 11}, 2: set()}
    assert is_offered(offered, 1, 10) and not is_offered(offered, 1, 12)
    assert is_offered(offered, None, 12) and is_offered(offered, 1, None)
    assert is_offered(offered, 2, 12) and is_offered(offered, 3, 12)  # no channels named yet
