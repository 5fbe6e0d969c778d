"""The words of the history: names events refer to, fields and values as a person writes
them, and the sentences of a strategy's events. Pure, like calc.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cxprogram.core.numbers import format_count

QUOTE_LIMIT = 300  # characters of a long text kept in a sentence; the export keeps it all


@dataclass(frozen=True)
class MetricLook:
    """How a metric's values read: its name, unit and precision (None: the unit's usual)."""

    name: str
    unit: str
    precision: int | None = None


@dataclass(frozen=True)
class Names:
    """What events refer to by id or code, by that id or code."""

    people: dict[int, str] = field(default_factory=dict)
    metrics: dict[str, MetricLook] = field(default_factory=dict)
    channels: dict[str, str] = field(default_factory=dict)
    departments: dict[int, str] = field(default_factory=dict)
    strategies: dict[str, str] = field(default_factory=dict)
    services: dict[str, str] = field(default_factory=dict)

    def metric(self, code: object) -> MetricLook:
        """The metric with this code; an unnamed one reads as "a value"."""
        if code is None:
            return MetricLook("a value", "")
        return self.metrics.get(str(code), MetricLook(str(code), ""))


FIELD_WORDS = {
    "is_active": "active", "owner": "owner", "drivers": "A-11 drivers",
    "metrics": "linked metrics", "parent": "parent department", "n": "n",
    "scale_min": "lowest value of the scale", "scale_max": "highest value of the scale",
    "fiscal_year_start_month": "fiscal-year start month", "due_days": "days until data is due",
    "smtp_sender_name": "sender name on e-mail", "is_government": "official-website banner",
    "government_name": "government named in the banner", "driver": "A-11 driver",
}  # fmt: skip
TEXT_FIELDS = frozenset({"title", "problem", "description", "name", "owner", "note", "comment",
                         "update", "milestone", "government_name", "smtp_sender_name"})  # fmt: skip
VOCABULARY_FIELDS = frozenset({"status", "kind", "unit", "direction", "aggregation", "weighting",
                               "driver", "drivers", "journey_stages", "state"})  # fmt: skip
HIDDEN_FIELDS = frozenset({"version", "id"})


def words(name: str) -> str:
    """An internal name as words: on_track is "on track"."""
    return name.replace("_", " ").replace(":", " ").strip()


def quoted(text: object) -> str:
    """A person's text in quotation marks, shortened when long."""
    value = " ".join(str(text or "").split())
    if len(value) > QUOTE_LIMIT:
        value = value[: QUOTE_LIMIT - 1].rstrip() + "…"
    return f"“{value}”"


def upper_first(text: str) -> str:
    """The text with its first letter a capital (the rest untouched, unlike str.capitalize)."""
    return text[:1].upper() + text[1:]


def field_name(name: str) -> str:
    """A field as words: effective_date is "effective date"."""
    return FIELD_WORDS.get(name, words(name))


def plain(name: str, value: Any, names: Names) -> str:
    """A field's value as a person writes it."""
    if value is None or value == "" or value == [] or value == {}:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if name == "metrics" and isinstance(value, dict):
        return ", ".join(f"{names.metric(c).name} ({d} is better)" for c, d in value.items())
    if name == "progress" and isinstance(value, int | float):
        return f"{format_count(value)} %"
    if isinstance(value, list):
        return ", ".join(plain(name, item, names) for item in value)
    if isinstance(value, int | float):
        return format_count(value)
    if name == "channels" or name == "channel":
        return names.channels.get(str(value), str(value))
    if name in VOCABULARY_FIELDS:
        return words(str(value))
    return quoted(value) if name in TEXT_FIELDS else str(value)


def field_changes(before: dict[str, Any], after: dict[str, Any], names: Names) -> tuple[str, ...]:
    """Each field that differs: "status from on track to at risk"; a new record's fields
    (no before) read "status: on track"."""
    keys = [k for k in dict.fromkeys([*after, *before]) if k not in HIDDEN_FIELDS]
    lines = []
    for key in keys:
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        label = field_name(key)
        if key not in before:
            lines.append(f"{label}: {plain(key, new, names)}")
        else:
            lines.append(f"{label} from {plain(key, old, names)} to {plain(key, new, names)}")
    return tuple(upper_first(line) for line in lines)


def strategy_sentence(
    action: str, subject: str | None, before: dict[str, Any], after: dict[str, Any], names: Names
) -> tuple[str, tuple[str, ...]]:
    """A strategy's event, after its author's name; subject None on the strategy's own page."""
    it = subject or "the strategy"
    of = f" of {subject}" if subject else ""
    milestone = quoted(after.get("milestone") or before.get("milestone"))
    if action == "create":
        return f"created {it}", field_changes({}, _shown_on_create(after), names)
    if action == "cancel":
        return f"cancelled {it}", ()
    if action == "add_update":
        period = f" for {after['period']}" if after.get("period") else ""
        text = f"posted a progress update{' on ' + subject if subject else ''}{period}: "
        shown = ("status", "progress")
        moved = field_changes(_only(before, shown), _only(after, shown), names)
        return text + quoted(after.get("update")), moved
    if action == "add_milestone":
        due = f", due {after['due_date']}" if after.get("due_date") else ""
        return f"added the milestone {milestone}{' to ' + subject if subject else ''}{due}", ()
    if action == "complete_milestone":
        day = f" on {after['done_on']}" if after.get("done_on") else ""
        return f"marked the milestone {milestone}{of} done{day}", ()
    if action == "reopen_milestone":
        return f"reopened the milestone {milestone}{of}", ()
    return f"changed {it}", field_changes(before, after, names)


def _only(state: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: state[k] for k in keys if k in state}


def _shown_on_create(after: dict[str, Any]) -> dict[str, Any]:
    """A new strategy's fields worth reading: the ones it was given (title is the subject)."""
    return {k: v for k, v in after.items() if k != "title" and v not in (None, "", [], {})}
