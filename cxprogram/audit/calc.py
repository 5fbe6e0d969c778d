"""Audit events in plain words: "Dana Ortiz changed Abandonment rate, VA, Phone, from 10.2 %
to 12.5 %". Pure: events and the names they refer to in, sentences out; no Flask, no database.

Internal names (event actions, entity types, row ids, metric codes) never reach a sentence:
every event kind has its own wording, and an unknown kind still reads as "changed the ...".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, Protocol

from cxprogram.audit.wording import (
    MetricLook,
    Names,
    field_changes,
    quoted,
    strategy_sentence,
    upper_first,
    words,
)
from cxprogram.core.numbers import format_change, format_count, format_value

__all__ = ["Entry", "MetricLook", "Names", "compute_entries"]

SYSTEM = "A command or scheduled job"
DETAILS_SHOWN = 50  # an import's rows named one by one; the rest counted


class EventLike(Protocol):
    """What a sentence is made from: an audit event's fields (AuditEvent has them)."""

    @property
    def occurred_at(self) -> datetime: ...
    @property
    def actor_id(self) -> int | None: ...
    @property
    def actor_label(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def entity_type(self) -> str: ...
    @property
    def entity_id(self) -> str: ...
    @property
    def department_id(self) -> int | None: ...
    @property
    def period_label(self) -> str | None: ...
    @property
    def before(self) -> dict[str, Any] | None: ...
    @property
    def after(self) -> dict[str, Any] | None: ...
    @property
    def reason(self) -> str | None: ...


@dataclass(frozen=True)
class Entry:
    """One event as a person reads it: when (in the organization's zone), who, what."""

    occurred_at: datetime
    who: str
    sentence: str
    details: tuple[str, ...] = ()
    reason: str | None = None


@dataclass(frozen=True)
class Context:
    """What a sentence needs beside the event: the names, and how a strategy is called."""

    names: Names
    on_strategy_page: bool = False


def compute_entries(
    events: Iterable[EventLike], names: Names, zone: tzinfo, *, on_strategy_page: bool = False
) -> list[Entry]:
    """Each event as an entry, in the order given."""
    context = Context(names, on_strategy_page)
    return [compute_entry(event, context, zone) for event in events]


def compute_entry(event: EventLike, context: Context, zone: tzinfo) -> Entry:
    """One event in plain words."""
    who = actor_name(event, context.names)
    sentence, details = describe(event, context)
    reason = event.reason if event.reason and event.reason not in sentence else None
    return Entry(event.occurred_at.astimezone(zone), who, finished(f"{who} {sentence}"), details,
                 reason)  # fmt: skip


def finished(sentence: str) -> str:
    """The sentence with its full stop, unless a quotation already ends it: “Vendor chosen.”"""
    return sentence if sentence.endswith((".", ".”", "!”", "?”")) else f"{sentence}."


def actor_name(event: EventLike, names: Names) -> str:
    """The person's name; their e-mail when the account is gone; jobs and commands as such."""
    if event.actor_id is not None and event.actor_id in names.people:
        return names.people[event.actor_id]
    return SYSTEM if event.actor_label in ("", "system") else event.actor_label


Describer = Callable[[EventLike, Context], tuple[str, tuple[str, ...]]]


def describe(event: EventLike, context: Context) -> tuple[str, tuple[str, ...]]:
    """What the person did (the sentence after their name) and its details."""
    describer = DESCRIBERS.get(event.entity_type, _describe_other)
    return describer(event, context)


# Observations ---------------------------------------------------------------------------


def where(entry: dict[str, Any], department: str | None, names: Names) -> str:
    """Metric, department, service, channel and record of an observation: "Trust, VA, Phone"."""
    parts = [names.metric(entry.get("metric")).name]
    if department:
        parts.append(department)
    if entry.get("service"):
        parts.append(str(entry["service"]))
    if entry.get("channel"):
        parts.append(names.channels.get(entry["channel"], str(entry["channel"])))
    if entry.get("record"):
        parts.append(f"record {entry['record']}")
    return ", ".join(parts)


def value_text(entry: dict[str, Any], names: Names) -> str:
    """A value as entered: "12.5 % (n = 300)"."""
    look = names.metric(entry.get("metric"))
    text = format_value(entry.get("value"), look.unit, look.precision)
    return f"{text} (n = {format_count(entry['n'])})" if entry.get("n") is not None else text


def observation_change(
    before: dict[str, Any], after: dict[str, Any], department: str | None, names: Names
) -> str:
    """An observation's change without its author: "changed Trust, VA, from 4.10 to 4.25"."""
    place, look = where(after, department, names), names.metric(after.get("metric"))
    parts = []
    if before.get("value") != after.get("value"):
        old, new = format_change(before.get("value"), after.get("value"), look.unit,
                                 look.precision)  # fmt: skip
        parts.append(f"from {old} to {new}")
    if before.get("n") != after.get("n"):
        parts.append(f"n from {format_count(before.get('n'))} to {format_count(after.get('n'))}")
    if (before.get("label") or "") != (after.get("label") or ""):
        label = after.get("label") or ""
        parts.append(f"the label to {quoted(label)}" if label else "removing the label")
    note_before, note_after = before.get("note") or "", after.get("note") or ""
    if not parts and note_before == note_after:
        return f"saved {place} unchanged"
    text = f"changed {place}, {' and '.join(parts)}" if parts else f"explained {place}"
    if note_after != note_before:
        text += f", with the note {quoted(note_after)}" if note_after else ", removing the note"
    return text


def _describe_observation(event: EventLike, context: Context) -> tuple[str, tuple[str, ...]]:
    department = context.names.departments.get(event.department_id or 0)
    after, before = event.after or {}, event.before or {}
    if event.before is None:
        text = f"entered {where(after, department, context.names)}: "
        text += value_text(after, context.names)
        if after.get("note"):
            text += f", with the note {quoted(after['note'])}"
        return text, ()
    return observation_change(before, after, department, context.names), ()


SOURCE_VERBS = {"import": "imported", "api": "sent through the API", "form": "saved"}


def _describe_observations(event: EventLike, context: Context) -> tuple[str, tuple[str, ...]]:
    """A batch (import, API, A-11 load): a count, then each row (the first ones)."""
    after, names = event.after or {}, context.names
    department = names.departments.get(event.department_id or 0)
    olds = {row.get("id"): row for row in (event.before or {}).get("changed", [])}
    added, changed = after.get("added", []), after.get("changed", [])
    details = [f"{where(r, department, names)}: {value_text(r, names)}" for r in added]
    details += [
        upper_first(observation_change(olds.get(r.get("id"), {}), r, department, names))
        for r in changed
    ]
    verb = SOURCE_VERBS.get(str(after.get("source") or event.action), "saved")
    counts = f"{len(added):,} new, {len(changed):,} changed"
    text = f"{verb} {_values(len(added) + len(changed))} of {department or 'a department'}"
    text += f" for {event.period_label}" if event.period_label else ""
    text += f" from {after['origin']}" if after.get("origin") else ""
    text += f" ({counts})" if added and changed else ""
    return text, _capped(details)


def _values(count: int) -> str:
    return "1 value" if count == 1 else f"{count:,} values"


def _capped(details: list[str]) -> tuple[str, ...]:
    if len(details) <= DETAILS_SHOWN:
        return tuple(details)
    rest = len(details) - DETAILS_SHOWN
    return (*details[:DETAILS_SHOWN], f"and {rest:,} more (the audit export lists them all)")


# Periods, plans, the organization's structure ----------------------------------------------


def _describe_period(event: EventLike, context: Context) -> tuple[str, tuple[str, ...]]:
    label = event.period_label or event.entity_id
    verbs = {"close": f"closed {label}", "reopen": f"reopened {label}"}
    text = verbs.get(event.action, f"changed the period {label}")
    return (f"{text}: {quoted(event.reason)}" if event.reason else text), ()


def _describe_relabel(event: EventLike, context: Context) -> tuple[str, tuple[str, ...]]:
    before, after = event.before or {}, event.after or {}
    text = f"renamed the period {before.get('label', '')} {after.get('label', '')}".rstrip()
    return text + " (new fiscal-year start)", ()


PLAN_VERBS = {
    "submit": "submitted the plan of {d} for {p}",
    "reopen": "reopened the approved plan of {d} for {p} and submitted it again",
    "approve": "approved the plan of {d} for {p}",
    "request_changes": "asked for changes to the plan of {d} for {p}",
}


def _describe_plan(event: EventLike, context: Context) -> tuple[str, tuple[str, ...]]:
    department = context.names.departments.get(event.department_id or 0, "a department")
    template = PLAN_VERBS.get(event.action, "changed the plan of {d} for {p}")
    text = template.format(d=department, p=event.period_label or "the period")
    after, before = event.after or {}, event.before or {}
    comment = after.get("comment") or ""
    if comment and comment != before.get("comment"):
        text += f", with the comment {quoted(comment)}"
    note = after.get("cover_note") or ""
    if note and event.action in ("submit", "reopen"):
        text += f", with the cover note {quoted(note)}"
    return text, ()


def _describe_named(noun: str, key: str) -> Describer:
    """Services, departments, metrics: "added the service “Renewals”", then what changed."""

    def describer(event: EventLike, context: Context) -> tuple[str, tuple[str, ...]]:
        after, before = event.after or {}, event.before or {}
        name = after.get(key) or before.get(key) or ""
        if noun == "service":
            name = name or context.names.services.get(event.entity_id, "")
        subject = f"the {noun} {quoted(str(name))}" if name else f"a {noun}"
        verbs = {"create": "added", "deactivate": "deactivated", "reactivate": "reactivated",
                 "retire": "retired", "restore": "restored"}  # fmt: skip
        if event.action in verbs:
            return f"{verbs[event.action]} {subject}", ()
        return f"changed {subject}", field_changes(before, after, context.names)

    return describer


def _describe_other(event: EventLike, context: Context) -> tuple[str, tuple[str, ...]]:
    before, after = event.before or {}, event.after or {}
    thing = words(event.entity_type.split(":")[-1])
    if event.action == "import":
        return f"imported {thing} from {after.get('file') or event.entity_id}", ()
    return f"changed the {thing}", field_changes(before, after, context.names)


def _describe_strategy(event: EventLike, context: Context) -> tuple[str, tuple[str, ...]]:
    after, before = event.after or {}, event.before or {}
    title = after.get("title") or context.names.strategies.get(event.entity_id) or ""
    subject = None if context.on_strategy_page else f"the strategy {quoted(title)}"
    return strategy_sentence(event.action, subject, before, after, context.names)


DESCRIBERS: dict[str, Describer] = {
    "observation": _describe_observation,
    "observations": _describe_observations,
    "period": _describe_period,
    "reporting_period": _describe_relabel,
    "plan_review": _describe_plan,
    "strategy": _describe_strategy,
    "service": _describe_named("service", "name"),
    "department": _describe_named("department", "name"),
    "metric": _describe_named("metric", "name"),
    "channel": _describe_named("channel", "name"),
    "journey_stage": _describe_named("journey stage", "name"),
}
