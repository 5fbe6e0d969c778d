"""The one way observations are written: the grid, the file import, the API and the A-11
import hand their rows here. Every row's period must be open and its department writable by
the actor, and its value must keep the metric's rules; then the rows are written in bulk
(Core executemany, each update guarded by the version planning saw) and audited in one shape.
Flushes, never commits.

Lives in `metrics/` because observations are that feature's: the planners in `imports/`,
`api/` and the grid depend on `metrics`, never the reverse.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, column, func, insert, select, table, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.expression import TableClause

from cxprogram.admin.calc import retired_reason
from cxprogram.auth.models import User
from cxprogram.core import audit
from cxprogram.core.fiscal import MonthError, PeriodLabelError, parse_period, parse_value_period
from cxprogram.core.models import utcnow
from cxprogram.core.permissions import can_edit_department
from cxprogram.extensions import db
from cxprogram.metrics.catalog import DERIVED_CODES
from cxprogram.metrics.models import (
    Direction,
    Frequency,
    MetricDefinition,
    Observation,
    ReportingPeriod,
    Source,
)
from cxprogram.metrics.observation_payload import (
    Existing,
    Key,
    ObservationPayload,
    ObservationRow,
    StandardInfo,
    is_offered,
    not_offered_reason,
    standard_refusal,
)
from cxprogram.metrics.services import PeriodClosedError, ensure_period
from cxprogram.org.models import Channel, Department, Service, ServiceStandard, service_channels
from cxprogram.org.queries import codes_by_id, organization_settings
from cxprogram.rollup.calc import compute_status

OBSERVATIONS = cast(Table, Observation.__table__)
Values = tuple[float, float | None, str, str]  # value, n, note, label


class WriteRefused(Exception):
    """The rows cannot be written as they are; nothing was written."""


class DepartmentNotWritableError(WriteRefused):
    """The actor may not write this department's observations."""


class RuleError(WriteRefused):
    """A row breaks its metric's rules (scale, n, a note on a red)."""


class ChannelNotOfferedError(RuleError):
    """A row names a channel its service is not offered through."""

    def __init__(self, number: int, reason: str) -> None:
        super().__init__(f"{reason} (row {number})")
        self.number = number
        self.reason = reason


class FrequencyError(RuleError):
    """A row's period or month does not fit its metric's frequency (SPEC 3)."""

    def __init__(self, number: int, field: str, reason: str) -> None:
        super().__init__(f"{reason} (row {number})")
        self.number = number
        self.field = field
        self.reason = reason


class RetiredChannelError(RuleError):
    """A new observation names a retired channel (those stored keep theirs)."""

    def __init__(self, number: int, reason: str) -> None:
        super().__init__(f"{reason} (row {number})")
        self.number = number
        self.reason = reason


class StandardRefusedError(RuleError):
    """A row names a standard it may not (another service or metric, or retired)."""

    def __init__(self, number: int, reason: str) -> None:
        super().__init__(f"{reason} (row {number})")
        self.number = number
        self.field = "standard"
        self.reason = reason


class ConcurrentChangeError(WriteRefused):
    """An observation changed between planning and writing; nothing is written."""


REFUSALS = (PeriodClosedError, WriteRefused)


@dataclass(frozen=True)
class _Rule:
    low: float
    high: float
    target: float | None
    tolerance: float | None
    higher_is_better: bool
    is_derived: bool = False


def write_observations(
    payload: ObservationPayload, actor: User | None, source: Source, origin: str = ""
) -> dict[str, int]:
    """Check, write and audit a payload (all rows or none); return the counts."""
    rows = [*payload.adds, *(row for row, _ in payload.changes)]
    period_ids = _open_periods(payload, {row.key[2] for row in rows})
    _require_writable({row.key[0] for row in rows}, actor)
    rules = _require_rules(rows)
    _require_frequency(rows, payload.start_month)
    _require_offered(rows)
    _require_standards(payload)
    _require_current_channels(payload.adds)
    now, actor_id = utcnow(), (actor.id if actor is not None else None)
    _insert(payload.adds, period_ids, actor_id, source, now)
    _update(payload.changes, actor_id, source, now)
    if source == Source.FORM:
        _require_explained(rows, rules, period_ids)
    names = _Names.of(rows)
    if source == Source.FORM:
        _audit_each(payload, period_ids, actor, names)
    else:
        _audit(payload, actor, source, origin, names)
    _expire_loaded_observations()
    return {
        "added": len(payload.adds),
        "changed": len(payload.changes),
        "unchanged": payload.same,
        "periods_created": len(payload.new_periods),
    }


def _open_periods(payload: ObservationPayload, written: set[str]) -> dict[str, int]:
    """period label -> id of every period written; PeriodClosedError on a closed one (read
    now, not as planning saw it). The payload's new periods are created, open."""
    labels = written | payload.new_periods
    query = select(ReportingPeriod).where(ReportingPeriod.label.in_(labels))
    found = {p.label: p for p in db.session.scalars(query)}
    for label in sorted(written & set(found)):
        if found[label].is_closed:
            raise PeriodClosedError(found[label])
    ids = {label: p.id for label, p in found.items()}
    for label in sorted(labels - set(found)):
        if label not in payload.new_periods or payload.start_month is None:
            raise ValueError(f"period {label} does not exist")
        ids[label] = ensure_period(parse_period(label), payload.start_month)[0].id
    return ids


def _require_writable(department_ids: set[int], actor: User | None) -> None:
    """The command line (no actor) writes everywhere; people where they may edit."""
    if actor is None:
        return
    refused = sorted(d for d in department_ids if not can_edit_department(actor, d))
    if refused:
        code = db.session.scalar(select(Department.code).where(Department.id == refused[0]))
        raise DepartmentNotWritableError(f"you may not write the observations of {code}")


def _require_rules(rows: list[ObservationRow]) -> dict[int, _Rule]:
    """Each value within its metric's scale, n not negative; the metrics' rules."""
    rules = _rules({row.key[1] for row in rows})
    bounds = {mid: (rule.low, rule.high) for mid, rule in rules.items()}
    derived = [row for row in rows if rules[row.key[1]].is_derived]
    if derived:
        raise RuleError(f"this metric is computed from the service standards' values, not "
                        f"entered (row {derived[0].number})")  # fmt: skip
    for row in rows:  # 100,000 rows of an import: kept to the bare comparisons
        low, high = bounds[row.key[1]]
        if not low <= row.value <= high:
            raise RuleError(f"{row.value:g} is outside the metric's scale (row {row.number})")
        if row.n is not None and row.n < 0:
            raise RuleError(f"n must not be negative (row {row.number})")
    return rules


def _require_explained(
    rows: list[ObservationRow], rules: dict[int, _Rule], period_ids: dict[str, int]
) -> None:
    """A red typed in the grid without a note stands only where the department's score,
    pooled over all its rows as now written, is not red or a note explains it (SPEC 4.5).
    Imports bring values measured elsewhere, as they always have."""
    from cxprogram.metrics.reds import department_reds  # reds reads the rollup's queries

    suspects: dict[tuple[str, int, int, int | None], int] = {}
    targets = {i: s.target for i, s in standard_infos({r.key[6] for r in rows if r.key[6]}).items()}
    for row in rows:
        rule = rules[row.key[1]]
        if row.key[6] in targets:  # a standard's row: judged against the standard's target
            rule = replace(rule, target=targets[row.key[6]])
        if not row.note and _is_red(row.value, rule):
            suspects.setdefault((row.key[2], row.key[0], row.key[1], row.key[6]), row.number)
    for (label, dept_id, metric_id, standard_id), number in suspects.items():
        reds = department_reds(period_ids[label], [dept_id])
        if any(red.metric_id == metric_id and red.standard_id == standard_id
               and not red.is_explained for red in reds):  # fmt: skip
            raise RuleError(f"a red value needs a note: the department's score is red "
                            f"(row {number})")  # fmt: skip


def _require_frequency(rows: list[ObservationRow], start_month: int | None) -> None:
    """Each row's period and month fit its metric's frequency, by the rule the import and
    the API read labels with (core/fiscal.parse_value_period): a monthly metric's rows carry
    a month of their quarter, an annual metric's sit in the year's last quarter, a quarterly
    metric's have no month."""
    m = MetricDefinition.__table__.c
    metric_ids = {row.key[1] for row in rows}
    query = select(m.id, m.frequency).where(m.id.in_(metric_ids))
    frequencies = {mid: Frequency(f) for mid, f in db.session.execute(query).tuples()}
    if all(f == Frequency.QUARTERLY for f in frequencies.values()) and not any(
        row.key[7] is not None for row in rows
    ):
        return  # the usual case: no rule to apply row by row
    if start_month is None:
        start_month = organization_settings().fiscal_year_start_month
    for row in rows:
        try:
            parse_value_period(row.key[2], row.key[7], frequencies[row.key[1]], start_month)
        except MonthError as error:
            raise FrequencyError(row.number, "month", str(error)) from error
        except PeriodLabelError as error:
            raise FrequencyError(row.number, "period", str(error)) from error


def _require_offered(rows: list[ObservationRow]) -> None:
    """Every row's channel is one its service is offered through (SPEC 3): the grid, the
    file import and the API are refused alike, with the row and the reason."""
    service_ids = {row.key[3] for row in rows if row.key[3] is not None and row.key[4]}
    if not service_ids:
        return
    links = select(service_channels).where(service_channels.c.service_id.in_(service_ids))
    offered: dict[int, set[int]] = {}
    for service_id, channel_id in db.session.execute(links).tuples():
        offered.setdefault(service_id, set()).add(channel_id)
    for row in rows:
        if not is_offered(offered, row.key[3], row.key[4]):
            service = db.session.get(Service, row.key[3])
            channel = db.session.get(Channel, row.key[4])
            reason = not_offered_reason(
                service.name if service else "?", channel.name if channel else "?"
            )
            raise ChannelNotOfferedError(row.number, reason)


def standard_infos(standard_ids: set[int]) -> dict[int, StandardInfo]:
    """What validation needs of these standards, by id."""
    if not standard_ids:
        return {}
    s = ServiceStandard.__table__.c
    query = select(s.id, s.code, s.service_id, s.metric_id, s.target, s.is_retired)
    return {
        sid: StandardInfo(sid, code, service, metric, target, retired)
        for sid, code, service, metric, target, retired in db.session.execute(
            query.where(s.id.in_(standard_ids))
        )
    }


def _require_standards(payload: ObservationPayload) -> None:
    """Every standard a row names belongs to its service and metric, and a new row names no
    retired standard (SPEC 3); refused with the row and the reason, as on every path."""
    rows = [(row, True) for row in payload.adds]
    rows += [(row, False) for row, _ in payload.changes]
    found = standard_infos({row.key[6] for row, _ in rows if row.key[6] is not None})
    for row, is_new in rows:
        if row.key[6] is None:
            continue
        standard = found.get(row.key[6])
        reason = (
            "the standard does not exist"
            if standard is None
            else standard_refusal(standard, row.key[3], row.key[1], is_new)
        )
        if reason is not None:
            raise StandardRefusedError(row.number, reason)


def _require_current_channels(adds: list[ObservationRow]) -> None:
    """A new observation names no retired channel; changes to stored ones keep theirs."""
    channel_ids = {row.key[4] for row in adds if row.key[4] is not None}
    if not channel_ids:
        return
    query = select(Channel.id, Channel.name).where(
        Channel.id.in_(channel_ids), Channel.is_retired.is_(True)
    )
    retired = dict(db.session.execute(query).tuples().all())
    for row in adds:
        if row.key[4] in retired:
            raise RetiredChannelError(row.number, retired_reason("channel", retired[row.key[4]]))


def _rules(metric_ids: set[int]) -> dict[int, _Rule]:
    m = MetricDefinition.__table__.c
    query = select(m.id, m.scale_min, m.scale_max, m.target, m.tolerance, m.direction, m.code)
    rules = {}
    for mid, low, high, target, tolerance, direction, code in db.session.execute(
        query.where(m.id.in_(metric_ids))
    ):
        rules[mid] = _Rule(
            -math.inf if low is None else low, math.inf if high is None else high,
            target, tolerance, direction == Direction.HIGHER, code in DERIVED_CODES,
        )  # fmt: skip
    return rules


def _is_red(value: float, rule: _Rule) -> bool:
    return compute_status(value, rule.target, rule.tolerance, rule.higher_is_better) == "red"


def _insert(
    adds: list[ObservationRow], period_ids: dict[str, int], actor_id: int | None,
    source: Source, now: Any,
) -> None:  # fmt: skip
    if not adds:
        return
    fixed = {
        "source": _db_value("source", source), "created_by_id": actor_id,
        "updated_by_id": actor_id, "created_at": _db_value("created_at", now),
        "updated_at": _db_value("updated_at", now), "version": 1,
    }  # fmt: skip
    rows = [
        {
            "department_id": k[0], "metric_id": k[1], "period_id": period_ids[k[2]],
            "service_id": k[3], "channel_id": k[4], "import_key": k[5], "standard_id": k[6],
            "month": k[7], "value": item.value, "n": item.n, "note": item.note or "",
            "label": item.label or "", **fixed,
        }
        for item in adds
        for k in (item.key,)
    ]  # fmt: skip
    counted = [i for i, item in enumerate(adds) if item.distribution is not None]
    if counted:  # answer counts are JSON, serialised here as the column would
        to_json = _processor("distribution")
        for i in counted:
            rows[i]["distribution"] = to_json(adds[i].distribution)
    try:
        for group in _same_columns(rows) if counted else [rows]:
            db.session.execute(insert(_untyped(group[0])), group)
    except IntegrityError as error:  # another writer added one of these rows meanwhile
        if not _is_duplicate_key(error):
            raise
        raise ConcurrentChangeError(
            "observations were added meanwhile; nothing was written"
        ) from error


def _is_duplicate_key(error: IntegrityError) -> bool:
    """A unique violation (the observation's key), not some other integrity error."""
    code = getattr(error.orig, "sqlstate", None)  # psycopg
    return code == "23505" or "UNIQUE constraint failed" in str(error.orig)


def _same_columns(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The rows split by their set of columns (one executemany each)."""
    groups: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(len(row), []).append(row)
    return list(groups.values())


def _processor(name: str) -> Any:
    dialect = db.session.get_bind().dialect
    process = OBSERVATIONS.c[name].type.dialect_impl(dialect).bind_processor(dialect)
    return process if process is not None else (lambda value: value)


def _db_value(name: str, value: Any) -> Any:
    """A value as the column's type binds it (computed once, not once per row)."""
    return _processor(name)(value)


def _untyped(row: dict[str, Any]) -> TableClause:
    """The observations table with untyped columns: the values are already in database form,
    so the executemany skips SQLAlchemy's per-row type processing (a third of its cost)."""
    return table(OBSERVATIONS.name, *(column(name) for name in row))


def _update(
    changes: list[tuple[ObservationRow, Existing]], actor_id: int | None, source: Source,
    now: Any,
) -> None:  # fmt: skip
    """One executemany per kind of row; each row only where its version is still the one
    planning saw, else ConcurrentChangeError (the caller rolls back)."""
    plain = [_params(item, old) for item, old in changes if item.distribution is None]
    counted = [_params(item, old) for item, old in changes if item.distribution is not None]
    for rows, with_counts in ((plain, False), (counted, True)):
        if not rows:
            continue
        result = db.session.execute(_update_statement(actor_id, source, now, with_counts), rows)
        if result.rowcount not in (-1, len(rows)):  # type: ignore[attr-defined]
            raise ConcurrentChangeError("observations changed meanwhile; nothing was written")


def _update_statement(actor_id: int | None, source: Source, now: Any, with_counts: bool) -> Any:
    t = OBSERVATIONS
    # Answer counts that no longer describe the value are dropped; A-11 rows bring new ones.
    distribution = (
        bindparam("b_dist", type_=t.c.distribution.type)
        if with_counts
        else case((t.c.value == bindparam("b_value"), t.c.distribution))
    )
    return (
        update(t)
        .where(t.c.id == bindparam("b_id"), t.c.version == bindparam("b_version"))
        .values(
            value=bindparam("b_value"), n=bindparam("b_n"), note=bindparam("b_note"),
            # None keeps the stored label, whatever planning read (the grid and the A-11
            # import never set one)
            label=func.coalesce(bindparam("b_label", type_=t.c.label.type), t.c.label),
            distribution=distribution, source=source.value,
            updated_by_id=actor_id, updated_at=now, version=t.c.version + 1,
        )
    )  # fmt: skip


def _params(item: ObservationRow, old: Existing) -> dict[str, Any]:
    value, n, note, _ = new_values(item, old)
    row: dict[str, Any] = {
        "b_id": old.id,
        "b_version": old.version,
        "b_value": value,
        "b_n": n,
        "b_note": note,
        "b_label": item.label,
    }
    if item.distribution is not None:
        row["b_dist"] = item.distribution
    return row


def new_values(item: ObservationRow, old: Existing | None) -> Values:
    """The values (value, n, note, label) the observation will hold; absent n, note and
    label keep what is stored."""
    n = item.n if item.has_n or old is None else old.n
    note = item.note if item.note is not None else (old.note if old else "")
    label = item.label if item.label is not None else (old.label if old else "")
    return item.value, n, note, label


def stored_values(old: Existing) -> Values:
    """What is stored, in the shape of `new_values` (equal: the row changes nothing)."""
    return old.value, old.n, old.note, old.label


@dataclass(frozen=True)
class _Names:
    """What a person reads in the history for the ids of a key: metric and channel codes,
    service names (one query each for the whole payload)."""

    metrics: dict[int, str]
    services: dict[int, str]
    channels: dict[int, str]
    standards: dict[int, str]

    @classmethod
    def of(cls, rows: list[ObservationRow]) -> _Names:
        """The names of every metric, service and channel these rows name."""
        metric_ids = {r.key[1] for r in rows}
        service_ids = {r.key[3] for r in rows if r.key[3] is not None}
        channel_ids = {r.key[4] for r in rows if r.key[4] is not None}
        standard_ids = {r.key[6] for r in rows if r.key[6] is not None}
        return cls(
            _names(MetricDefinition.id, MetricDefinition.code, metric_ids),
            _names(Service.id, Service.name, service_ids),
            _names(Channel.id, Channel.code, channel_ids),
            _names(ServiceStandard.id, ServiceStandard.code, standard_ids),
        )


def _names(id_column: Any, name_column: Any, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    query = select(id_column, name_column).where(id_column.in_(ids))
    return dict(db.session.execute(query).tuples().all())


def _audit(
    payload: ObservationPayload, actor: User | None, source: Source, origin: str, names: _Names
) -> None:
    """One event per department and period written: what was added and what changed (before
    and after), each row as `_entry` gives it."""
    added: dict[tuple[int, str], list[dict[str, Any]]] = {}
    before: dict[tuple[int, str], list[dict[str, Any]]] = {}
    after: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for item in payload.adds:
        k = item.key
        added.setdefault((k[0], k[2]), []).append(_entry(k, new_values(item, None), names))
    for item, old in payload.changes:
        where = (item.key[0], item.key[2])
        before.setdefault(where, []).append({"id": old.id, "value": old.value, "n": old.n,
                                             "note": old.note, "label": old.label})  # fmt: skip
        after.setdefault(where, []).append(
            {"id": old.id, **_entry(item.key, new_values(item, old), names)}
        )
    touched = sorted(set(added) | set(after))
    codes = codes_by_id({dept for dept, _ in touched})
    for dept_id, label in touched:
        where = (dept_id, label)
        audit.record(
            source.value, "observations", f"{codes[dept_id]}/{label}", actor=actor,
            before={"changed": before[where]} if where in before else None,
            after={"source": source.value, "origin": origin, "added": added.get(where, []),
                   "changed": after.get(where, [])},
            department_id=dept_id, period_label=label,
        )  # fmt: skip


def _audit_each(
    payload: ObservationPayload, period_ids: dict[str, int], actor: User | None, names: _Names
) -> None:
    """A person's grid save (a few rows): one event per observation, the same entries, so
    the history page shows each field that changed."""
    ids = _new_ids(payload.adds, period_ids)
    rows = [(item, None) for item in payload.adds] + list(payload.changes)
    for item, old in rows:
        oid = old.id if old else ids[item.key]
        state = {"id": oid, **_entry(item.key, stored_values(old), names)} if old else None
        audit.record(
            "update" if old else "create", "observation", oid, actor=actor, before=state,
            after={"id": oid, **_entry(item.key, new_values(item, old), names)},
            department_id=item.key[0], period_label=item.key[2],
        )  # fmt: skip


def _new_ids(adds: list[ObservationRow], period_ids: dict[str, int]) -> dict[Key, int]:
    """The ids the database gave the inserted rows, by key."""
    if not adds:
        return {}
    o = OBSERVATIONS.c
    labels = {pid: label for label, pid in period_ids.items()}
    query = select(o.id, o.department_id, o.metric_id, o.period_id, o.service_id, o.channel_id,
                   o.import_key, o.standard_id, o.month).where(
        o.period_id.in_({period_ids[r.key[2]] for r in adds}),
        o.department_id.in_({r.key[0] for r in adds}))  # fmt: skip
    return {
        (d, m, labels[p], s, c, k, st, month): oid
        for oid, d, m, p, s, c, k, st, month in db.session.execute(query)
    }


def _entry(k: Key, values: Values, names: _Names) -> dict[str, Any]:
    """One observation in an audit event, named as the history page shows it (its label
    only when it has one, so events of unlabelled rows read as before)."""
    value, n, note, label = values
    entry = {
        "metric": names.metrics.get(k[1]),
        "service": names.services.get(k[3]) if k[3] is not None else None,
        "channel": names.channels.get(k[4]) if k[4] is not None else None,
        "record": k[5] or None,
        **({"standard": names.standards.get(k[6])} if k[6] is not None else {}),
        **({"month": k[7]} if k[7] is not None else {}),
        "value": value, "n": n, "note": note,
    }  # fmt: skip
    if label:
        entry["label"] = label
    return entry


def _expire_loaded_observations() -> None:
    """Observations loaded as objects before the bulk statements must be read again."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Observation):
            db.session.expire(obj)
