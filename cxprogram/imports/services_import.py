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
from typing import Any

from sqlalchemy import select

from cxprogram.admin import calc
from cxprogram.auth.models import Role, User
from cxprogram.core import audit
from cxprogram.extensions import db
from cxprogram.imports.framework import ImportPlan, PlannedRow
from cxprogram.imports.tabular import Row, RowError, Table, unneutralise
from cxprogram.metrics import services as metric_services
from cxprogram.metrics.catalog import A11_CHANNEL_ALIASES, CHANNELS, JOURNEY_STAGES
from cxprogram.org.models import Channel, Department, JourneyStage, Service
from cxprogram.org.services import service_state


@dataclass(frozen=True)
class ServiceRow:
    """One valid row; None for a column the file does not have (left as stored)."""

    row: int
    department: str
    name: str
    existing_id: int | None
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


class Vocabulary:
    """Codes by every accepted spelling: stored rows, the standard catalog, A-11 aliases."""

    def __init__(self, what: str, pairs: list[tuple[str, str]], aliases: dict[str, str]) -> None:
        self.what = what
        self.codes = sorted({code for code, _ in pairs})
        self.keys = {calc.vocabulary_key(k): v for k, v in aliases.items()}
        for code, name in pairs:
            self.keys[calc.vocabulary_key(code)] = code
            self.keys[calc.vocabulary_key(name)] = code

    def resolve(self, cell: str) -> tuple[list[str], list[str]]:
        """(codes, unknown spellings) of a `;`- or `|`-separated cell."""
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
    return (
        Vocabulary("channel", [*CHANNELS, *channels], A11_CHANNEL_ALIASES),
        Vocabulary("journey stage", [*JOURNEY_STAGES, *stages], {}),
    )


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
        """Create or update the services of a valid plan; audited per service."""
        metric_services.ensure_vocabularies()
        channels = {c.code: c for c in db.session.scalars(select(Channel))}
        stages = {s.code: s for s in db.session.scalars(select(JourneyStage))}
        counts = {"services_added": 0, "services_changed": 0, "unchanged": 0}
        for item in plan.payload:
            service = _service_for(item)
            before = service_state(service) if service.id else None
            if item.channels is not None:
                service.channels = [channels[code] for code in item.channels]
            if item.stages is not None:
                service.journey_stages = [stages[code] for code in item.stages]
            if item.description is not None:
                service.description = item.description
            db.session.flush()
            counts[_audit(service, before, actor)] += 1
        return counts


def _service_for(item: ServiceRow) -> Service:
    if item.existing_id is not None:
        service = db.session.get(Service, item.existing_id)
        assert service is not None
        return service
    dept = db.session.scalar(select(Department).where(Department.code == item.department))
    service = Service(department=dept, name=item.name, provider="", description="")
    db.session.add(service)
    return service


def _audit(service: Service, before: dict[str, Any] | None, actor: User | None) -> str:
    after = service_state(service)
    if before is None:
        audit.record("create", "service", service.id, actor=actor, after=after,
                     department_id=service.department_id, reason="import")  # fmt: skip
        return "services_added"
    if after == before:
        return "unchanged"
    audit.record("update", "service", service.id, actor=actor, before=before, after=after,
                 department_id=service.department_id, reason="import")  # fmt: skip
    return "services_changed"


class _Parser:
    """Checks rows one by one, remembering the departments and the services already seen."""

    def __init__(self, columns: list[str], errors: list[RowError]) -> None:
        self.columns = set(columns)
        self.errors = errors
        self.channels, self.stages = _vocabularies()
        departments = list(db.session.scalars(select(Department)))
        self.departments = {d.code: d for d in departments}
        self.departments_by_name = {d.name.casefold(): d for d in departments}
        self.seen: dict[tuple[str, str], int] = {}

    def parse(self, row: Row) -> ServiceRow | None:
        """A ServiceRow, or None after recording every problem of the row."""
        before = len(self.errors)
        dept = self._department(row)
        name = unneutralise(row.get("service"))
        if not name:
            self._error(row, "service", "a service name is required")
        elif len(name) > 300:
            self._error(row, "service", "the service name is longer than 300 characters")
        elif dept is not None:
            self._check_repeat(row, dept.code, name)
        channels = self._codes(row, "channels", self.channels)
        stages = self._codes(row, "journey_stages", self.stages)
        if len(self.errors) > before or dept is None:
            return None
        description = (
            unneutralise(row.get("description")) if "description" in self.columns else None
        )
        existing = next((s for s in dept.services if s.name.casefold() == name.casefold()), None)
        return ServiceRow(
            row.number,
            dept.code,
            existing.name if existing else name,
            existing.id if existing else None,
            channels,
            stages,
            description,
        )

    def _department(self, row: Row) -> Department | None:
        raw = unneutralise(row.get("department"))
        dept = self.departments.get(calc.normalise_code(raw)) or self.departments_by_name.get(
            raw.casefold()
        )
        if dept is None:
            reason = f"unknown department {raw}" if raw else "a department code is required"
            self._error(row, "department", reason)
        return dept

    def _check_repeat(self, row: Row, code: str, name: str) -> None:
        key = (code, name.casefold())
        if key in self.seen:
            self._error(row, "service", f"{code} {name} is also on row {self.seen[key]}")
        self.seen.setdefault(key, row.number)

    def _codes(self, row: Row, column: str, vocabulary: Vocabulary) -> list[str] | None:
        if column not in self.columns:
            return None
        codes, unknown = vocabulary.resolve(unneutralise(row.get(column)))
        if unknown:
            known = ", ".join(vocabulary.codes)
            names = ", ".join(repr(u) for u in unknown)
            self._error(row, column, f"unknown {vocabulary.what} {names} (known: {known})")
        return codes

    def _error(self, row: Row, column: str, reason: str) -> None:
        self.errors.append(RowError(row.number, column, reason))


def _planned(item: ServiceRow) -> PlannedRow:
    label = f"{item.department}: {item.name}"
    if item.existing_id is None:
        return PlannedRow(item.row, "add", label, after=item.state())
    service = db.session.get(Service, item.existing_id)
    assert service is not None
    current = {k: v for k, v in service_state(service).items() if k not in ("name", "version")}
    wanted = item.state(current)
    if wanted == current:
        return PlannedRow(item.row, "same", label)
    return PlannedRow(item.row, "change", label, before=current, after=wanted)
