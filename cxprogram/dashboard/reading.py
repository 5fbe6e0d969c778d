"""Plain words for the rollup's numbers: pure sentence generators (no Flask, no database).

The dashboard, the drill-down and the quarterly PDF say the same things the same way, so
the words live here and take plain numbers and strings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

SCORE_FORMAT = "{:.2f}"
SIGNED_FORMAT = "{:+.2f}"
PERCENT_FORMAT = "{:.1f}%"
CLEAR_EFFECT = 90.0  # "how unusual" from which an effect reads as clearly larger than noise
NOT_AVAILABLE = "–"


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def number(value: object) -> str:
    """A score as displayed: two decimals, a dash when there is none."""
    return SCORE_FORMAT.format(value) if _is_number(value) else NOT_AVAILABLE


def signed(value: object) -> str:
    """A change as displayed: two decimals with its sign."""
    return SIGNED_FORMAT.format(value) if _is_number(value) else NOT_AVAILABLE


def percent(value: object) -> str:
    """A share as displayed: one decimal and a percent sign."""
    return PERCENT_FORMAT.format(value) if _is_number(value) else NOT_AVAILABLE


@dataclass(frozen=True)
class Badge:
    """A state said with a symbol and a word (never colour alone); css picks a colour."""

    symbol: str
    word: str
    css: str


STATUS_BADGES = {
    "green": Badge("✓", "met", "cx-status cx-status--green"),
    "amber": Badge("~", "near", "cx-status cx-status--amber"),
    "red": Badge("✗", "missed", "cx-status cx-status--red"),
}
NO_TARGET = Badge("", "no target", "")


def status_badge(status: str | None) -> Badge:
    """A department's status against the target (SPEC 4.5) as symbol and word."""
    return STATUS_BADGES.get(status or "", NO_TARGET)


def variation_badge(variation: Mapping[str, Any] | None) -> Badge:
    """SPEC 4.9 variation: common cause (noise), improvement or concern, with rule and side."""
    state = (variation or {}).get("variation")
    if state is None:
        return Badge("…", "too little history", "")
    if state == "common cause":
        return Badge("∼", "common cause (noise)", "")
    side = "high" if (variation or {}).get("side") == "high" else "low"
    arrow = "▲" if side == "high" else "▼"
    rule = (variation or {}).get("rule") or "rule"
    css = "cx-status cx-status--green" if state == "improvement" else "cx-status cx-status--red"
    return Badge(arrow, f"{state} ({rule}, {side})", css)


def assurance_badge(variation: Mapping[str, Any] | None) -> Badge:
    """SPEC 4.9 assurance against the target: pass, fail or hit or miss."""
    state = (variation or {}).get("assurance")
    if state == "pass":
        return Badge("✓", "pass: the target is reliably met", "cx-status cx-status--green")
    if state == "fail":
        return Badge("✗", "fail: the target is reliably missed", "cx-status cx-status--red")
    if state == "hit or miss":
        return Badge("?", "hit or miss", "cx-status cx-status--amber")
    return Badge("", "no assurance (no target or too little history)", "")


def is_special_cause(variation: Mapping[str, Any] | None) -> bool:
    """Whether a series' last point is a special cause (improvement or concern)."""
    return (variation or {}).get("variation") in ("improvement", "concern")


def convergence_words(cv_change: float | None, consistency_change: float | None) -> str:
    """Whether departments are converging on a metric, from cv and consistency changes."""
    if cv_change is None and consistency_change is None:
        return "no previous period to compare"
    closer = (cv_change or 0) < 0 or (consistency_change or 0) > 0
    apart = (cv_change or 0) > 0 or (consistency_change or 0) < 0
    if closer and not apart:
        return "converging: departments are closer together than last period"
    if apart and not closer:
        return "diverging: departments are further apart than last period"
    if not closer and not apart:
        return "no change in how close departments are"
    return "mixed: the spread and the share within tolerance moved in opposite directions"


def effect_verdict(effect: Mapping[str, Any], window: int = 2) -> str:
    """The plain verdict on a strategy's estimated effect (SPEC 4.7)."""
    if effect.get("status") != "estimated" or effect.get("effect") is None:
        return "insufficient data"
    if int(effect.get("post_periods") or 0) < window:
        return "too early"
    unusual = effect.get("unusual")
    if unusual is None:
        return "too few departments to compare"
    if float(unusual) >= CLEAR_EFFECT:
        return f"larger than {float(unusual):.0f}% of other departments' changes"
    return "no clear effect"


def unusual_words(effect: Mapping[str, Any]) -> str:
    """How unusual the effect is, with the number of departments compared."""
    unusual, compared = effect.get("unusual"), effect.get("compared_departments")
    if unusual is None:
        return "too few departments to compare"
    return f"larger than {float(unusual):.0f}% of {compared} departments' changes"


def periods_used(effect: Mapping[str, Any]) -> str:
    """How many periods before and after the change the estimate rests on."""
    return f"{effect.get('pre_periods') or 0} before, {effect.get('post_periods') or 0} after"


def _names(codes: Sequence[str]) -> str:
    if len(codes) <= 1:
        return "".join(codes)
    return ", ".join(codes[:-1]) + " and " + codes[-1]


def moved_sentence(
    metric_name: str, delta: float, rate: float, mix: float, rates: Mapping[str, float]
) -> str:
    """One plain sentence on what moved the overall score (SPEC 4.6), from the numbers."""
    if round(delta, 2) == 0:
        head = f"Overall {metric_name.lower()} did not change (to two decimals)."
    else:
        head = f"Overall {metric_name.lower()} {'rose' if delta > 0 else 'fell'} {abs(delta):.2f}."
    movers = [c for c, v in sorted(rates.items(), key=lambda kv: -abs(kv[1]))
              if v * rate > 0][:3]  # fmt: skip
    who = f" in {_names(movers)}" if movers else ""
    service = f"Service changes{who} {_added(rate)}"
    toward = "higher" if mix >= 0 else "lower"
    shift = f"a shift of customers toward {toward}-scoring departments {_added(mix)}"
    return f"{head} {service}; {shift}."


def _added(value: float) -> str:
    if round(value, 2) == 0:
        return "added almost nothing"
    return f"added {value:.2f}" if value > 0 else f"took away {abs(value):.2f}"
