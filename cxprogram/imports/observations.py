"""The observations import (SPEC 6): `department, metric, period, value` and optional
`n, service, channel, note, key, label` (`import_key` is read as `key`). The columns an
export adds for people (department and metric names, target, status, the period's dates)
are known and not read, so an exported file imports back to exactly the same data.

Planning validates every row and compares it with the stored observation of the same
department, metric, period, service, channel and source key: rows add, change or are the
same. Writing is the one observation service's (metrics/observation_writes.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from cxprogram.admin.calc import retired_reason
from cxprogram.auth.models import Role, User
from cxprogram.core.fiscal import month_name
from cxprogram.extensions import db
from cxprogram.imports import observation_rows as rows_
from cxprogram.imports.framework import ImportPlan, PlannedRow
from cxprogram.imports.tabular import Row, RowError, Table
from cxprogram.metrics.models import Observation, Source
from cxprogram.metrics.observation_payload import (
    Existing,
    Key,
    Lookups,
    ObservationPayload,
    ObservationRow,
)
from cxprogram.metrics.observation_writes import new_values, stored_values, write_observations


class ObservationImporter:
    """Importer of kind "observations"; the API reuses `plan_rows`."""

    kind = "observations"
    title = "Observations"
    required: tuple[str, ...] = rows_.COLUMNS
    optional: tuple[str, ...] = rows_.OPTIONAL
    informational: tuple[str, ...] = rows_.INFORMATIONAL  # accepted, never read

    def __init__(self, source: Source = Source.IMPORT) -> None:
        self.source = source

    def may_use(self, user: User) -> bool:
        """Chiefs (any department) and officers (their own)."""
        return user.role in (Role.CHIEF, Role.OFFICER)

    def plan(self, table: Table, actor: User | None) -> ImportPlan:
        """Validate every row of the file; write nothing."""
        return plan_rows(table.rows, actor)

    def apply(self, plan: ImportPlan, actor: User | None) -> dict[str, int]:
        """Insert and update the observations of a valid plan, audited per department-period."""
        return write_observations(plan.payload, actor, self.source, plan.filename)


class ObservationPlan(ImportPlan):
    """An ImportPlan whose preview rows are built from the payload only when asked for:
    planning 100,000 rows then costs no 100,000 preview objects. `rows` stays empty;
    `count` and `of` answer from the payload."""

    def count(self, action: str) -> int:
        """How many rows add, change or leave things the same."""
        p: ObservationPayload | None = self.payload
        if p is None:
            return 0
        return {"add": len(p.adds), "change": len(p.changes), "same": p.same}.get(action, 0)

    def of(self, action: str) -> list[PlannedRow]:
        """The planned rows with this action (labels and values for the preview)."""
        p: ObservationPayload | None = self.payload
        if p is None or p.lookups is None or action not in ("add", "change"):
            return []
        names = _Names(p.lookups)
        if action == "add":
            return [PlannedRow(i.number, "add", names.label(i.key), None, _values(i, None))
                    for i in p.adds]  # fmt: skip
        return [
            PlannedRow(i.number, "change", names.label(i.key),
                       _values(i, old, stored=True), _values(i, old))
            for i, old in p.changes
        ]  # fmt: skip


def plan_rows(rows: Iterable[Row], actor: User | None, item_word: str = "row") -> ImportPlan:
    """Validate rows, then sort the valid ones into add, change and same."""
    look = rows_.load_lookups(actor)
    plan = ObservationPlan("")
    parsed: list[ObservationRow] = []
    first_seen: dict[Key, int] = {}
    for row in rows:
        item = rows_.parse_row(row, look, plan.errors)
        if item is None:
            continue
        earlier = first_seen.setdefault(item.key, row.number)
        if earlier != row.number:
            reason = (
                f"repeats {item_word} {earlier} (same department, metric, period, service, "
                "channel and key)"
            )
            plan.errors.append(RowError(row.number, "", reason))
            continue
        parsed.append(item)
    # Classified even when some rows are bad: closed-period errors are listed with the rest.
    payload = _classify(parsed, look, plan)
    if not plan.errors:
        plan.payload = payload
    return plan


def _classify(parsed: list[ObservationRow], look: Lookups, plan: ImportPlan) -> ObservationPayload:
    payload = ObservationPayload(start_month=look.start_month, lookups=look)
    existing = _existing(parsed, look)
    for item in parsed:
        old = existing.get(item.key)
        if old is not None:
            payload.stored[item.number] = old
        info = look.periods.get(item.key[2])
        if old is None and item.key[4] in look.retired_channels:
            reason = retired_reason("channel", look.retired_channels[item.key[4]])
            plan.errors.append(RowError(item.number, "channel", reason))
        elif info is None:
            payload.new_periods.add(item.key[2])
            payload.adds.append(item)
        elif old is not None and stored_values(old) == new_values(item, old):
            payload.same += 1
        elif info.is_closed:
            reason = f"period {item.key[2]} is closed; a chief must reopen it first"
            plan.errors.append(RowError(item.number, "period", reason))
        elif old is None:
            payload.adds.append(item)
        else:
            payload.changes.append((item, old))
    return payload


def _values(item: ObservationRow, old: Existing | None, stored: bool = False) -> dict[str, Any]:
    """The row's values for the preview: as they will be, or (`stored`) as they are."""
    values = stored_values(old) if stored and old is not None else new_values(item, old)
    return dict(zip(("value", "n", "note", "label"), values, strict=True))


class _Names:
    """Readable labels for the preview, from ids back to codes and names."""

    def __init__(self, look: Lookups) -> None:
        self.departments = {i: c for c, i in look.departments.items()}
        self.metrics = {m.id: m.code for m in look.metrics.values()}
        self.services = {i: name for (_, name), i in look.services.items()}
        self.channels = {i: c for c, i in look.channels.items()}
        self.standards = {s.id: s.code for s in look.standards.values()}

    def label(self, key: Key) -> str:
        """`VA satisfaction FY2023-Q1` with service, channel and key when present."""
        dept, metric, period, service, channel, import_key, standard, month = key
        parts = [self.departments[dept], self.metrics[metric], period]
        if month is not None:
            parts.append(month_name(month))
        if service is not None:
            parts.append(self.services[service])
        if channel is not None:
            parts.append(self.channels[channel])
        if standard is not None:
            parts.append(self.standards.get(standard, "?"))
        if import_key:
            parts.append(f"[{import_key}]")
        return " ".join(parts)


def _existing(parsed: list[ObservationRow], look: Lookups) -> dict[Key, Existing]:
    """Stored observations of the departments and existing periods the rows name."""
    labels = {item.key[2] for item in parsed}
    period_ids = {look.periods[label].id: label for label in labels if label in look.periods}
    dept_ids = {item.key[0] for item in parsed}
    if not period_ids or not dept_ids:
        return {}
    o = Observation.__table__.c
    query = select(
        o.id, o.department_id, o.metric_id, o.period_id, o.service_id, o.channel_id,
        o.import_key, o.standard_id, o.month, o.value, o.n, o.note, o.version, o.label,
    ).where(o.period_id.in_(period_ids), o.department_id.in_(dept_ids))  # fmt: skip
    found: dict[Key, Existing] = {}
    for r in db.session.execute(query):
        key = (r.department_id, r.metric_id, period_ids[r.period_id], r.service_id,
               r.channel_id, r.import_key, r.standard_id, r.month)  # fmt: skip
        found[key] = Existing(r.id, r.value, r.n, r.note or "", r.version, label=r.label or "")
    return found


def observation_importer() -> ObservationImporter:
    """The importer registered for file uploads and the command line."""
    return ObservationImporter(Source.IMPORT)
