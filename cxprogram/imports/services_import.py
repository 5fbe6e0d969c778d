"""The services import: columns `department, service` and optional `channels,
journey_stages, description`.

Channels and journey stages are `;`- or `|`-separated codes or names of the vocabularies
(`web; in person`, `Apply/purchase|Get help`). All or nothing: an unknown department, a
missing service name, a service given twice for one department, an unknown channel or
stage each name their row. A row naming a stored service (same department, same name in
any case) sets its channels, stages and description when those columns are present; equal
values change nothing, so re-importing the same file is a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, NamedTuple, cast

from sqlalchemy import Table as SqlTable
from sqlalchemy import insert, select
from sqlalchemy.orm import selectinload

from cxprogram.admin import calc
from cxprogram.auth.models import Role, User
from cxprogram.core import audit
from cxprogram.extensions import db
from cxprogram.imports.framework import ImportPlan, PlannedRow
from cxprogram.imports.tabular import Row, RowError, Table, did_you_mean, unneutralise
from cxprogram.metrics import services as metric_services
from cxprogram.metrics.catalog import A11_CHANNEL_ALIASES, CHANNELS, JOURNEY_STAGES
from cxprogram.org.models import (
    Channel,
    Department,
    JourneyStage,
    Service,
    service_channels,
    service_journey_stages,
)
from cxprogram.org.services import EditConflict, service_state, set_links


@dataclass(frozen=True)
class ServiceRow:
    """One valid row; None for a column the file does not have (left as stored)."""

    row: int
    department: str
    department_id: int
    name: str
    existing: StoredService | None
    channels: list[str] | None
    stages: list[str] | None
    description: str | None

    def state(self, current: dict[str, Any] | None = None) -> dict[str, Any]:
        """The service as it will be: the file's values over the current ones."""
        base = dict(current or {"description": "", "channels": [], "journey_stages": []})
        if self.description is not None:
            base["description"] = self.description
        if self.channels is not None:
            base["channels"] = sorted(self.channels)
        if self.stages is not None:
            base["journey_stages"] = sorted(self.stages)
        return base

    @cached_property
    def wanted(self) -> dict[str, Any]:
        """The state the file asks for, over the stored one."""
        return self.state(self.existing.state if self.existing else None)

    @property
    def is_change(self) -> bool:
        """A stored service whose state the file changes."""
        return self.existing is not None and self.wanted != self.existing.state


@dataclass(frozen=True)
class StoredService:
    """A stored service as the import compares it: read in three queries for all services."""

    id: int
    name: str
    version: int
    state: dict[str, Any]


class Vocabulary:
    """Codes by every accepted spelling: stored rows, the standard catalog, A-11 aliases."""

    def __init__(
        self, what: str, pairs: list[tuple[str, str]], aliases: dict[str, str],
        retired: dict[str, str] | None = None,
    ) -> None:  # fmt: skip
        self.what = what
        self.retired = retired or {}  # code -> name of the retired terms
        self.codes = sorted({code for code, _ in pairs} - set(self.retired))
        self.resolved: dict[str, tuple[list[str], list[str]]] = {}
        self.keys = {calc.vocabulary_key(k): v for k, v in aliases.items()}
        for code, name in pairs:
            self.keys[calc.vocabulary_key(code)] = code
            self.keys[calc.vocabulary_key(name)] = code

    def resolve(self, cell: str) -> tuple[list[str], list[str]]:
        """(codes, unknown spellings) of a `;`- or `|`-separated cell; files repeat the same
        few cells, so each distinct one is worked out once."""
        if cell not in self.resolved:
            self.resolved[cell] = self._resolve(cell)
        found, unknown = self.resolved[cell]
        return list(found), list(unknown)

    def _resolve(self, cell: str) -> tuple[list[str], list[str]]:
        found: list[str] = []
        unknown: list[str] = []
        for part in calc.split_list(cell):
            code = self.keys.get(calc.vocabulary_key(part))
            if code is None:
                unknown.append(part)
            elif code not in found:
                found.append(code)
        return found, unknown


def _vocabularies() -> tuple[Vocabulary, Vocabulary]:
    channels = list(db.session.execute(select(Channel.code, Channel.name)).tuples())
    stages = list(db.session.execute(select(JourneyStage.code, JourneyStage.name)).tuples())
    retired = (select(Channel.code, Channel.name).where(Channel.is_retired.is_(True)),
               select(JourneyStage.code, JourneyStage.name)
               .where(JourneyStage.is_retired.is_(True)))  # fmt: skip
    return (
        Vocabulary("channel", [*CHANNELS, *channels], A11_CHANNEL_ALIASES,
                   dict(db.session.execute(retired[0]).tuples().all())),
        Vocabulary("journey stage", [*JOURNEY_STAGES, *stages], {},
                   dict(db.session.execute(retired[1]).tuples().all())),
    )  # fmt: skip


class ServiceImporter:
    """Importer of kind "services" (administrators only)."""

    kind = "services"
    title = "Services"
    required: tuple[str, ...] = ("department", "service")
    optional: tuple[str, ...] = ("channels", "journey_stages", "description")

    def may_use(self, user: User) -> bool:
        """Only administrators manage the organization's structure."""
        return user.role == Role.ADMIN

    def plan(self, table: Table, actor: User | None) -> ImportPlan:
        """Check every row, then compare each with the stored service; write nothing."""
        plan = ImportPlan("")
        parser = _Parser(table.columns, plan.errors)
        parsed = [item for row in table.rows if (item := parser.parse(row)) is not None]
        if plan.errors:
            return plan
        plan.rows = [_planned(item) for item in parsed]
        plan.payload = parsed
        return plan

    def apply(self, plan: ImportPlan, actor: User | None) -> dict[str, int]:
        """Create or update the services of a valid plan, in sets; audited per service."""
        metric_services.ensure_vocabularies()
        items: list[ServiceRow] = plan.payload
        added = [item for item in items if item.existing is None]
        changed = [item for item in items if item.is_change]
        _add_services(added, actor)
        _change_services(changed, actor)
        return {
            "services_added": len(added),
            "services_changed": len(changed),
            "unchanged": len(items) - len(added) - len(changed),
        }


def _add_services(items: list[ServiceRow], actor: User | None) -> None:
    """Insert the new services and their links with one statement each, then audit them."""
    if not items:
        return
    rows = [{"department_id": item.department_id, "name": item.name, "provider": "",
             "description": item.description or ""} for item in items]  # fmt: skip
    # RETURNING without sort_by_parameter_order keeps one multi-row statement on SQLite;
    # department and name (unique among the new rows) pair each id with its row
    table = cast(SqlTable, Service.__table__)
    # Core, not the ORM's bulk insert: it would build a result row object per service
    returned = db.session.connection().execute(
        insert(table).returning(table.c.id, table.c.department_id, table.c.name), rows
    )
    by_key = {(dept_id, name): sid for sid, dept_id, name in returned}
    ids = [by_key[(item.department_id, item.name)] for item in items]
    channels, stages = _vocabulary_ids()
    links = [(sid, item.wanted) for sid, item in zip(ids, items, strict=True)]
    _insert_links(
        service_channels,
        "channel_id",
        [(sid, channels[code]) for sid, state in links for code in state["channels"]],
    )
    _insert_links(
        service_journey_stages,
        "stage_id",
        [(sid, stages[code]) for sid, state in links for code in state["journey_stages"]],
    )
    audit.record_many(
        (audit.Event("create", "service", sid, after={"name": item.name, **state, "version": 1},
                     department_id=item.department_id, reason="import")
         for (sid, state), item in zip(links, items, strict=True)),
        actor=actor,
    )  # fmt: skip


def _insert_links(table: SqlTable, column: str, pairs: list[tuple[int, int]]) -> None:
    """Two integers a row, thousands of rows: one driver-level executemany (SQLAlchemy's
    per-row parameter processing would take most of the import's time)."""
    if pairs:
        connection = db.session.connection()
        mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
        # the table and column names are this module's constants, never a file's text
        statement = f"INSERT INTO {table.name} (service_id, {column}) VALUES ({mark}, {mark})"  # noqa: S608
        connection.exec_driver_sql(statement, pairs)


def _change_services(items: list[ServiceRow], actor: User | None) -> None:
    """Update the changed services through the ORM (version-checked), loaded in one query."""
    if not items:
        return
    ids = [item.existing.id for item in items if item.existing is not None]
    query = (
        select(Service)
        .where(Service.id.in_(ids))
        .options(selectinload(Service.channels), selectinload(Service.journey_stages))
    )
    services = {service.id: service for service in db.session.scalars(query)}
    channels = {c.code: c for c in db.session.scalars(select(Channel))}
    stages = {s.code: s for s in db.session.scalars(select(JourneyStage))}
    for item in items:
        assert item.existing is not None
        service = services[item.existing.id]
        if service.version != item.existing.version:
            raise EditConflict
        before = service_state(service)
        set_links(
            service,
            [channels[code] for code in item.channels] if item.channels is not None else None,
            [stages[code] for code in item.stages] if item.stages is not None else None,
        )
        if item.description is not None:
            service.description = item.description
        db.session.flush()
        audit.record("update", "service", service.id, actor=actor, before=before,
                     after=service_state(service), department_id=service.department_id,
                     reason="import")  # fmt: skip


def _vocabulary_ids() -> tuple[dict[str, int], dict[str, int]]:
    channels = db.session.execute(select(Channel.code, Channel.id)).tuples().all()
    stages = db.session.execute(select(JourneyStage.code, JourneyStage.id)).tuples().all()
    return dict(channels), dict(stages)


def stored_services() -> dict[tuple[int, str], StoredService]:
    """Every stored service by (department id, name folded to lower case), with its channel
    and journey stage codes: three queries, however many services there are."""
    codes: dict[int, dict[str, list[str]]] = {}
    links = (
        ("channels", select(service_channels.c.service_id, Channel.code).join(Channel)),
        ("journey_stages",
         select(service_journey_stages.c.service_id, JourneyStage.code).join(JourneyStage)),
    )  # fmt: skip
    for key, query in links:
        for service_id, code in db.session.execute(query):
            codes.setdefault(service_id, {}).setdefault(key, []).append(code)
    query = select(Service.id, Service.department_id, Service.name, Service.description,
                   Service.version)  # fmt: skip
    stored = {}
    for sid, dept_id, name, description, version in db.session.execute(query):
        own = codes.get(sid, {})
        state = {"description": description, "channels": sorted(own.get("channels", [])),
                 "journey_stages": sorted(own.get("journey_stages", []))}  # fmt: skip
        stored[(dept_id, name.casefold())] = StoredService(sid, name, version, state)
    return stored


class Dept(NamedTuple):
    """A department as the parser needs it."""

    id: int
    code: str


class _Parser:
    """Checks rows one by one, remembering the departments and the services already seen."""

    def __init__(self, columns: list[str], errors: list[RowError]) -> None:
        self.columns = set(columns)
        self.errors = errors
        self.channels, self.stages = _vocabularies()
        departments = db.session.execute(select(Department.id, Department.code, Department.name))
        self.departments = {code: Dept(i, code) for i, code, _ in departments}
        self.departments_by_name = {
            name.casefold(): self.departments[code] for _, code, name in departments
        }
        self.stored = stored_services()
        self.seen: dict[tuple[str, str], tuple[int, str]] = {}

    def parse(self, row: Row) -> ServiceRow | None:
        """A ServiceRow, or None after recording every problem of the row."""
        before = len(self.errors)
        dept = self._department(row)
        name = unneutralise(row.get("service"))
        name_problem = calc.name_problem(name, "service", 300)
        if name_problem:
            self._error(row, "service", name_problem)
        elif dept is not None:
            self._check_repeat(row, dept.code, name)
        channels = self._codes(row, "channels", self.channels)
        stages = self._codes(row, "journey_stages", self.stages)
        if len(self.errors) > before or dept is None:
            return None
        description = (
            unneutralise(row.get("description")) if "description" in self.columns else None
        )
        existing = self.stored.get((dept.id, name.casefold()))
        self._refuse_retired(row, "channels", channels, self.channels, existing)
        self._refuse_retired(row, "journey_stages", stages, self.stages, existing)
        if len(self.errors) > before:
            return None
        return ServiceRow(
            row.number,
            dept.code,
            dept.id,
            existing.name if existing else name,
            existing,
            channels,
            stages,
            description,
        )

    def _department(self, row: Row) -> Dept | None:
        raw = unneutralise(row.get("department"))
        dept = self.departments.get(calc.normalise_code(raw)) or self.departments_by_name.get(
            raw.casefold()
        )
        if dept is None:
            hint = did_you_mean(raw, self.departments) if raw else ""
            reason = f"unknown department {raw}{hint}" if raw else "a department code is required"
            self._error(row, "department", reason)
        return dept

    def _check_repeat(self, row: Row, code: str, name: str) -> None:
        key = (code, name.casefold())
        if key in self.seen:
            first_row, first_name = self.seen[key]
            reason = calc.repeated("service names", first_row, name, first_name)
            self._error(row, "service", f"{code} {reason}")
        self.seen.setdefault(key, (row.number, name))

    def _codes(self, row: Row, column: str, vocabulary: Vocabulary) -> list[str] | None:
        if column not in self.columns:
            return None
        codes, unknown = vocabulary.resolve(unneutralise(row.get(column)))
        if unknown:
            known = ", ".join(vocabulary.codes)
            names = ", ".join(repr(u) for u in unknown)
            self._error(row, column, f"unknown {vocabulary.what} {names} (known: {known})")
        return codes

    def _refuse_retired(
        self, row: Row, column: str, codes: list[str] | None, vocabulary: Vocabulary,
        existing: StoredService | None,
    ) -> None:  # fmt: skip
        """A retired term the service already has stays; a new link to one is refused."""
        had = existing.state[column] if existing is not None else []
        for code in calc.newly_linked(codes or [], had, vocabulary.retired):
            self._error(row, column, calc.retired_reason(vocabulary.what,
                                                         vocabulary.retired[code]))  # fmt: skip

    def _error(self, row: Row, column: str, reason: str) -> None:
        self.errors.append(RowError(row.number, column, reason))


def _planned(item: ServiceRow) -> PlannedRow:
    label = f"{item.department}: {item.name}"
    if item.existing is None:
        return PlannedRow(item.row, "add", label, after=item.wanted)
    if not item.is_change:
        return PlannedRow(item.row, "same", label)
    return PlannedRow(item.row, "change", label, before=item.existing.state, after=item.wanted)
