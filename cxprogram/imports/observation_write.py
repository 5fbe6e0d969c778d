"""Write a valid observations plan: bulk Core INSERT and UPDATE (executemany), no ORM object
per row, and one audit event per department and period touched, holding every added value
and every change with its before and after. Flushes, never commits.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, cast

from sqlalchemy import Table, bindparam, column, insert, table, update
from sqlalchemy.sql.expression import TableClause

from cxprogram.auth.models import User
from cxprogram.core import audit
from cxprogram.core.fiscal import parse_period
from cxprogram.core.models import utcnow
from cxprogram.extensions import db
from cxprogram.imports.observation_rows import Key, Lookups
from cxprogram.imports.observations import Existing, ObservationPayload
from cxprogram.metrics.models import Observation, Source
from cxprogram.metrics.services import ensure_period

OBSERVATIONS = cast(Table, Observation.__table__)


class ConcurrentChangeError(RuntimeError):
    """An observation changed between planning and writing; nothing is written."""


def write(
    payload: ObservationPayload, actor: User | None, source: Source, origin: str
) -> dict[str, int]:
    """Create missing periods, insert, update, audit; return the counts."""
    look = payload.lookups
    assert look is not None
    period_ids = _period_ids(payload, look)
    now = utcnow()
    actor_id = actor.id if actor is not None else None
    _insert(payload, period_ids, actor_id, source, now)
    _update(payload, actor_id, source, now)
    _audit(payload, look, actor, source, origin)
    _expire_loaded_observations()
    return {
        "added": len(payload.adds),
        "changed": len(payload.changes),
        "unchanged": payload.same,
        "periods_created": len(payload.new_periods),
    }


def _period_ids(payload: ObservationPayload, look: Lookups) -> dict[str, int]:
    ids = {label: info.id for label, info in look.periods.items()}
    for label in sorted(payload.new_periods):
        period, _ = ensure_period(parse_period(label), look.start_month)
        ids[label] = period.id
    return ids


def _insert(
    payload: ObservationPayload,
    period_ids: dict[str, int],
    actor_id: int | None,
    source: Source,
    now: Any,
) -> None:
    if not payload.adds:
        return
    fixed = {
        "source": _db_value("source", source), "created_by_id": actor_id,
        "updated_by_id": actor_id, "created_at": _db_value("created_at", now),
        "updated_at": _db_value("updated_at", now), "version": 1,
    }  # fmt: skip
    rows = [
        {
            "department_id": k[0], "metric_id": k[1], "period_id": period_ids[k[2]],
            "service_id": k[3], "channel_id": k[4], "import_key": k[5],
            "value": item.value, "n": item.n, "note": item.note or "", **fixed,
        }
        for item in payload.adds
        for k in (item.key,)
    ]  # fmt: skip
    db.session.execute(insert(_untyped(rows[0])), rows)


def _db_value(name: str, value: Any) -> Any:
    """A value as the column's type binds it (computed once, not once per row)."""
    dialect = db.session.get_bind().dialect
    process = OBSERVATIONS.c[name].type.dialect_impl(dialect).bind_processor(dialect)
    return process(value) if process is not None else value


def _untyped(row: dict[str, Any]) -> TableClause:
    """The observations table with untyped columns: the values are already in database form,
    so the executemany skips SQLAlchemy's per-row type processing (a third of its cost)."""
    return table(OBSERVATIONS.name, *(column(name) for name in row))


def _update(payload: ObservationPayload, actor_id: int | None, source: Source, now: Any) -> None:
    if not payload.changes:
        return
    table = OBSERVATIONS
    statement = (
        update(table)
        .where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version"))
        .values(
            value=bindparam("b_value"), n=bindparam("b_n"), note=bindparam("b_note"),
            source=source.value, updated_by_id=actor_id, updated_at=now,
            version=table.c.version + 1,
        )
    )  # fmt: skip
    rows = []
    for item, old in payload.changes:
        value, n, note = _new_values(item.value, item.n, item.note, item.has_n, old)
        rows.append({"b_id": old.id, "b_version": old.version, "b_value": value, "b_n": n,
                     "b_note": note})  # fmt: skip
    result = db.session.execute(statement, rows)
    if result.rowcount not in (-1, len(rows)):  # type: ignore[attr-defined]
        raise ConcurrentChangeError("observations changed while importing; nothing was written")


def _new_values(
    value: float, n: float | None, note: str | None, has_n: bool, old: Existing
) -> tuple[float, float | None, str]:
    return value, (n if has_n else old.n), (old.note if note is None else note)


def _audit(
    payload: ObservationPayload, look: Lookups, actor: User | None, source: Source, origin: str
) -> None:
    """One event per department and period: what was added, what changed (before, after)."""
    added: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    before: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    after: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    for item in payload.adds:
        added[(item.key[0], item.key[2])].append(_entry(item.key, item.value, item.n, item.note))
    for item, old in payload.changes:
        where = (item.key[0], item.key[2])
        before[where].append({"id": old.id, "value": old.value, "n": old.n, "note": old.note})
        value, n, note = _new_values(item.value, item.n, item.note, item.has_n, old)
        after[where].append({"id": old.id, **_entry(item.key, value, n, note)})
    codes = {i: c for c, i in look.departments.items()}
    for dept_id, label in sorted(set(added) | set(after)):
        where = (dept_id, label)
        audit.record(
            "import" if source == Source.IMPORT else "api",
            "observations",
            f"{codes[dept_id]}/{label}",
            actor=actor,
            before={"changed": before[where]} if where in before else None,
            after={"source": source.value, "origin": origin, "added": added.get(where, []),
                   "changed": after.get(where, [])},
            department_id=dept_id,
            period_label=label,
        )  # fmt: skip


def _entry(key: Key, value: float, n: float | None, note: str | None) -> dict[str, Any]:
    return {"metric_id": key[1], "service_id": key[3], "channel_id": key[4],
            "import_key": key[5], "value": value, "n": n, "note": note or ""}  # fmt: skip


def _expire_loaded_observations() -> None:
    """Observations loaded as objects before the bulk statements must be read again."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Observation):
            db.session.expire(obj)
