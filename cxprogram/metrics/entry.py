"""Saves of the data-entry grid: all or nothing, no lost updates. The grid finds what
changed and what conflicts; the observation service writes it. Flushes, never commits."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from cxprogram.admin.calc import retired_reason
from cxprogram.auth.models import User
from cxprogram.metrics.calc import (
    CellError,
    ParsedRow,
    PooledCell,
    TypedRow,
    compute_note_errors,
    compute_rows,
    normalise_note,
)
from cxprogram.metrics.calc import parse_number as _parse
from cxprogram.metrics.display import format_full
from cxprogram.metrics.models import Observation, ReportingPeriod, Source
from cxprogram.metrics.observation_payload import (
    Existing,
    ObservationPayload,
    ObservationRow,
    is_offered,
    not_offered_reason,
)
from cxprogram.metrics.observation_writes import write_observations
from cxprogram.metrics.queries import GridRow, new_row_month, parse_new_row_key
from cxprogram.metrics.services import require_open
from cxprogram.org.models import Department


@dataclass(frozen=True)
class Submitted:
    """What the form sent for one row: raw strings and the version the person started from."""

    value: str
    n: str
    note: str
    version: str = ""
    was: tuple[str, str, str] | None = None  # value, n, note as the page first showed them


@dataclass(frozen=True)
class Conflict:
    """A row someone else saved since the page was opened: theirs (None when removed)."""

    key: str
    label: str
    theirs: dict[str, Any] | None


class GridInvalid(Exception):
    """Some cells are bad; nothing was written."""

    def __init__(self, errors: list[CellError]) -> None:
        super().__init__(f"{len(errors)} bad cells")
        self.errors = errors


class GridConflict(Exception):
    """Someone else changed rows this person changed; nothing was written."""

    def __init__(self, conflicts: list[Conflict], typed: dict[str, Submitted]) -> None:
        super().__init__(f"{len(conflicts)} conflicting rows")
        self.conflicts = conflicts
        self.typed = typed


def observation_state(obs: Observation) -> dict[str, Any]:
    """An observation as plain data, for audit events and conflict pages."""
    return {
        "metric": obs.metric.code,
        "service": obs.service.name if obs.service else None,
        "channel": obs.channel.code if obs.channel else None,
        "record": obs.import_key or None,
        **({"month": obs.month} if obs.month is not None else {}),
        "value": obs.value,
        "n": obs.n,
        "note": obs.note,
        "version": obs.version,
    }


def _number_or_text(text: str) -> float | str | None:
    try:
        return _parse(text)
    except ValueError:
        return text


def is_changed(row: GridRow, typed: Submitted) -> bool:
    """True when the typed row differs from what is stored (or adds a new value)."""
    obs = row.observation
    if obs is None:
        return bool(typed.value.strip() or typed.n.strip() or typed.note.strip())
    return (
        _number_or_text(typed.value) != obs.value
        or _number_or_text(typed.n) != obs.n
        or normalise_note(typed.note) != obs.note
    )


def is_touched(sent: Submitted) -> bool:
    """True when the person changed the row on the page (assumed when unknown)."""
    if sent.was is None:
        return True
    value, n, note = sent.was
    return (
        _number_or_text(sent.value) != _number_or_text(value)
        or _number_or_text(sent.n) != _number_or_text(n)
        or normalise_note(sent.note) != normalise_note(note)
    )


def _is_stale(row: GridRow, sent: Submitted) -> bool:
    return row.observation is not None and sent.version != str(row.observation.version)


def find_conflicts(rows: list[GridRow], typed: dict[str, Submitted]) -> GridConflict | None:
    """Rows changed here that someone else saved since; typed values moved onto their rows.

    A row someone else saved that this person left alone is no conflict: theirs stays.
    """
    by_key = {row.key: row for row in rows}
    moved = dict(typed)
    conflicts: list[Conflict] = []
    for key, sent in typed.items():
        row = by_key.get(key)
        if row is not None and row.observation is not None:
            if not (_is_stale(row, sent) and is_changed(row, sent)):
                continue
            if not is_touched(sent):
                del moved[key]  # show theirs
                continue
            conflicts.append(Conflict(key, row.label, observation_state(row.observation)))
            moved[key] = replace(sent, version=str(row.observation.version))
        elif row is None and any((sent.value.strip(), sent.n.strip(), sent.note.strip())):
            conflicts.append(_vanished(key, sent, rows, moved))
    return GridConflict(conflicts, moved) if conflicts else None


def _vanished(
    key: str, sent: Submitted, rows: list[GridRow], moved: dict[str, Submitted]
) -> Conflict:
    """A typed row no longer on the grid: someone created that cell, or removed the value."""
    cell, month = parse_new_row_key(key), new_row_month(key)
    for row in rows:
        if row.month != month:  # a monthly metric's other months are other cells
            continue
        if (cell and row.observation is not None and row.cell == cell and not row.record
                and row.standard is None):  # fmt: skip
            moved[row.key] = replace(sent, version=str(row.observation.version))
            return Conflict(row.key, row.label, observation_state(row.observation))
    return Conflict(key, f"row {key}", None)


def save_grid(
    department: Department,
    period: ReportingPeriod,
    rows: list[GridRow],
    typed: dict[str, Submitted],
    actor: User,
) -> int:
    """Validate every changed row, refuse stale ones, then write and audit; the rows saved."""
    require_open(period)
    by_key = {row.key: row for row in rows}
    typed = {k: resolve_shown(by_key[k], t) if k in by_key else t for k, t in typed.items()}
    changed = [row for row in rows if row.key in typed and _to_write(row, typed[row.key])]
    parsed, errors = compute_rows([_typed_row(row, typed[row.key]) for row in changed])
    errors += channel_errors(changed)
    if not errors:
        errors = note_errors(rows, parsed)
    if errors:
        raise GridInvalid(errors)
    conflict = find_conflicts(rows, typed)
    if conflict is not None:
        raise conflict
    payload = ObservationPayload()
    for number, cells in enumerate(parsed, start=1):
        if cells.value is not None:
            _plan(payload, number, department, period, by_key[cells.key], cells)
    write_observations(payload, actor, Source.FORM)
    return len(payload.adds) + len(payload.changes)


def resolve_shown(row: GridRow, sent: Submitted) -> Submitted:
    """A value left as the page showed it (at the metric's precision) stands for the stored
    value with all its digits, so saving the page never rounds what is stored. Only a value
    the page itself showed, untouched, counts: a value typed or sent without `was` is taken
    as it is."""
    obs, was = row.observation, sent.was
    typed = sent.value.strip()
    if obs is None or was is None or was[0].strip() != typed:
        return sent
    if typed != row.metric.shown(obs.value):
        return sent
    full = format_full(obs.value)
    return replace(sent, value=full, was=(full, was[1], was[2]))


def channel_errors(rows: list[GridRow]) -> list[CellError]:
    """Rows on a channel their service is not offered through, and new rows on a retired
    channel, refused with the reason every path gives (metrics/observation_payload.py,
    admin/calc.py)."""
    errors = []
    for row in rows:
        service, channel = row.service, row.channel
        if channel is not None and channel.is_retired and row.observation is None:
            reason = retired_reason("channel", channel.name)
            errors.append(CellError(row.key, row.label, "channel", reason))
        elif service is None or channel is None:
            continue
        elif not is_offered({service.id: {c.id for c in service.channels}}, service.id,
                            channel.id):  # fmt: skip
            reason = not_offered_reason(service.name, channel.name)
            errors.append(CellError(row.key, row.label, "channel", reason))
    return errors


def note_errors(rows: list[GridRow], parsed: list[ParsedRow]) -> list[CellError]:
    """The notes due (SPEC 4.5) on each metric this save changes: its rows as they will
    stand, stored ones and the typed ones, pooled as the department's score; a service
    standard's rows pooled apart, against the standard's own target (as metrics/reds.py)."""
    typed = {p.key: p for p in parsed if p.value is not None}
    errors: list[CellError] = []
    for judged in dict.fromkeys(_judged(row) for row in rows if row.key in typed):
        metric_rows = [row for row in rows if _judged(row) == judged]
        cells = [cell for row in metric_rows if (cell := _pooled(row, typed)) is not None]
        errors += compute_note_errors(metric_rows[0].rule, cells)
    return errors


def _judged(row: GridRow) -> tuple[int, int | None]:
    """What a row is judged with: its metric, and its standard if it names one."""
    return row.metric.id, row.standard.id if row.standard else None


def _pooled(row: GridRow, typed: dict[str, ParsedRow]) -> PooledCell | None:
    new, obs = typed.get(row.key), row.observation
    if new is not None and new.value is not None:
        return PooledCell(row.key, row.label, new.value, new.n, new.note, True)
    if obs is None:
        return None
    return PooledCell(row.key, row.label, obs.value, obs.n, obs.note, False)


def _to_write(row: GridRow, sent: Submitted) -> bool:
    """Changed here; a row left alone that someone else saved since keeps their value."""
    return is_changed(row, sent) and (is_touched(sent) or not _is_stale(row, sent))


def _typed_row(row: GridRow, sent: Submitted) -> TypedRow:
    return TypedRow(
        key=row.key, label=row.label, rule=row.rule, value=sent.value, n=sent.n,
        note=sent.note, is_new=row.observation is None,
    )  # fmt: skip


def _plan(
    payload: ObservationPayload, number: int, department: Department, period: ReportingPeriod,
    row: GridRow, cells: ParsedRow,
) -> None:  # fmt: skip
    """One saved row as an add, or a change guarded by the version this request loaded."""
    obs = row.observation
    key = (
        department.id, row.metric.id, period.label, row.service.id if row.service else None,
        row.channel.id if row.channel else None, obs.import_key if obs else "",
        row.standard.id if row.standard else None, row.month,
    )  # fmt: skip
    item = ObservationRow(number, key, float(cells.value or 0.0), cells.n, cells.note, True)
    if obs is None:
        payload.adds.append(item)
    else:
        payload.changes.append(
            (
                item,
                Existing(
                    obs.id, obs.value, obs.n, obs.note, obs.version, obs.distribution, obs.label
                ),
            )
        )
