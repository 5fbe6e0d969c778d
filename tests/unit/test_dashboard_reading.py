"""The dashboard's words and tables from plain numbers (pure: no app, no database)."""

from __future__ import annotations

from typing import Any

import pytest

from cxprogram.dashboard import reading, tables


def test_moved_sentence_names_the_movers_and_the_mix() -> None:
    sentence = reading.moved_sentence(
        "Satisfaction", 0.07, 0.03, 0.04, {"IRS": 0.02, "SSA": 0.012, "VA": -0.002}
    )
    assert sentence == (
        "Overall satisfaction rose 0.07. Service changes in IRS and SSA added 0.03; "
        "a shift of customers toward higher-scoring departments added 0.04."
    )
    fell = reading.moved_sentence("Trust", -0.05, -0.06, 0.01, {"DOS": -0.06})
    assert fell.startswith("Overall trust fell 0.05. Service changes in DOS took away 0.06;")
    flat = reading.moved_sentence("Trust", 0.001, 0.004, -0.003, {})
    assert flat == ("Overall trust did not change (to two decimals). Service changes added "
                    "almost nothing; a shift of customers toward lower-scoring departments "
                    "added almost nothing.")  # fmt: skip


@pytest.mark.parametrize(
    ("effect", "verdict"),
    [
        ({"status": "insufficient data", "effect": None}, "insufficient data"),
        ({"status": "estimated", "effect": 0.1, "post_periods": 1, "unusual": 99}, "too early"),
        ({"status": "estimated", "effect": 0.1, "post_periods": 2, "unusual": None},
         "too few departments to compare"),
        ({"status": "estimated", "effect": 0.1, "post_periods": 2, "unusual": 92.4},
         "larger than 92% of other departments' changes"),
        ({"status": "estimated", "effect": 0.1, "post_periods": 2, "unusual": 60},
         "no clear effect"),
    ],
)  # fmt: skip
def test_effect_verdicts(effect: dict[str, Any], verdict: str) -> None:
    assert reading.effect_verdict(effect) == verdict


def test_badges_say_state_with_a_symbol_and_a_word() -> None:
    concern = reading.variation_badge({"variation": "concern", "rule": "shift", "side": "low"})
    assert (concern.symbol, concern.word) == ("▼", "concern (shift, low)")
    assert reading.variation_badge({"variation": "common cause"}).word == "common cause (noise)"
    assert reading.variation_badge(None).word == "too little history"
    assert reading.assurance_badge({"assurance": "hit or miss"}).symbol == "?"
    assert reading.status_badge("red").word == "missed"
    assert reading.number(None) == "–" and reading.signed(0.126) == "+0.13"
    assert reading.percent(42.15) == "42.1%" or reading.percent(42.15) == "42.2%"


@pytest.mark.parametrize(
    ("cv", "share", "start"),
    [(-0.01, 2.0, "converging"), (0.02, -5.0, "diverging"), (-0.01, -3.0, "mixed"),
     (None, None, "no previous"), (0.0, 0.0, "no change")],
)  # fmt: skip
def test_convergence_in_words(cv: float | None, share: float | None, start: str) -> None:
    assert reading.convergence_words(cv, share).startswith(start)


def _doc() -> dict[str, Any]:
    def dept(score: float, status: str, variation: str | None = None) -> dict[str, Any]:
        variation_ = {"variation": variation, "side": "low", "rule": "outside"}
        return {"score": score, "n": 10.0, "weight": 0.25, "status": status,
                "variation": variation_}  # fmt: skip

    return {
        "period": "FY2023-Q1", "previous_period": "FY2022-Q4",
        "departments": {"A": {"name": "Alpha", "parent": None},
                        "B": {"name": "Bravo", "parent": "A"},
                        "C": {"name": "Charlie", "parent": None}},
        "metrics": {"sat": {
            "name": "Satisfaction", "org_score": 4.0, "is_standard": True,
            "departments": {"A": dept(4.2, "green"), "B": dept(3.5, "red", "concern"),
                            "C": dept(3.9, "amber", "improvement")},
            "decomposition": {"delta": 0.1, "rate": 0.06, "mix": 0.04, "departments": {
                "A": {"rate": 0.05, "mix": 0.01, "total": 0.06},
                "B": {"rate": -0.01, "mix": 0.02, "total": 0.01},
                "C": {"rate": 0.02, "mix": 0.01, "total": 0.03}}},
        }},
        "strategy_effects": [],
    }  # fmt: skip


def test_heatmap_groups_children_under_parents_and_sorts_each_group() -> None:
    _, rows = tables.heatmap(_doc(), "sat", descending=True)
    assert [(r.code, level) for r, level in tables.flat(rows)] == [("A", 0), ("B", 1), ("C", 0)]
    _, rows = tables.heatmap(_doc(), "sat", descending=False)
    assert [r.code for r, _ in tables.flat(rows)] == ["C", "A", "B"]
    _, rows = tables.heatmap(_doc(), "department", descending=True)
    assert [r.code for r in rows] == ["C", "A"]


def test_waterfall_parts_add_up_and_special_causes_put_concerns_first() -> None:
    moved = tables.moved(_doc(), "sat")
    assert moved is not None
    assert moved.start == pytest.approx(3.9) and moved.end == 4.0
    assert sum(p.value for p in moved.parts) == pytest.approx(moved.delta)
    assert [abs(p.value) for p in moved.parts] == sorted((abs(p.value) for p in moved.parts),
                                                         reverse=True)  # fmt: skip
    assert [s.department for s in tables.special_causes(_doc())] == ["B", "C"]
