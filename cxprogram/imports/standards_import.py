"""The service-standards import: columns `department, service, code, text, metric, target`
and optional `channel` (SPEC 3).

The department by code or name, the service by its name in that department, the metric and
the channel by code or name. A row whose code is a stored standard's (in any case) updates
it, when the standard belongs to the row's service; equal values change nothing, so
re-importing the same file is a no-op. All or nothing: every problem names its row, its
column and the reason, with the same rules as the standard pages (admin/standards.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from cxprogram.admin import calc
from cxprogram.admin import standards as writes
from cxprogram.auth.models import Role, User
from cxprogram.extensions import db
from cxprogram.imports.framework import ImportPlan, PlannedRow
from cxprogram.imports.observation_rows import parse_number
from cxprogram.imports.tabular import Row, RowError, Table, unneutralise
from cxprogram.org.models import Channel, Department, Service, ServiceStandard


@dataclass(frozen=True)
class StandardRow:
    """One valid row, resolved to ids, with the stored standard of its code if any."""

    row: int
    service_id: int
    label: str
    data: writes.StandardData
    existing_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any]

    @property
    def action(self) -> str:
        """add, change or same."""
        if self.existing_id is None:
            return "add"
        return "same" if self.before == self.after else "change"


class StandardImporter:
    """Importer of kind "standards" (administrators only, as the standard pages)."""

    kind = "standards"
    title = "Service standards"
    required: tuple[str, ...] = ("department", "service", "code", "text", "metric", "target")
    optional: tuple[str, ...] = ("channel",)

    def may_use(self, user: User) -> bool:
        """Only administrators manage the organization's structure."""
        return user.role == Role.ADMIN

    def plan(self, table: Table, actor: User | None) -> ImportPlan:
        """Check every row against the rules of a standard; write nothing."""
        plan = ImportPlan("")
        parser = _Parser(plan.errors)
        parsed = [item for row in table.rows if (item := parser.parse(row)) is not None]
        if plan.errors:
            return plan
        plan.rows = [PlannedRow(i.row, i.action, i.label, i.before, i.after) for i in parsed]
        plan.payload = parsed
        return plan

    def apply(self, plan: ImportPlan, actor: User | None) -> dict[str, int]:
        """Create or update the standards of a valid plan, audited per standard."""
        items: list[StandardRow] = plan.payload
        services = _services({item.service_id for item in items})
        counts = {"standards_added": 0, "standards_changed": 0, "unchanged": 0}
        for item in items:
            if item.existing_id is None:
                writes.create_standard(services[item.service_id], item.data, actor)
                counts["standards_added"] += 1
                continue
            standard = db.session.get(ServiceStandard, item.existing_id)
            assert standard is not None
            changed = writes.update_standard(standard, item.data, None, actor)
            counts["standards_changed" if changed else "unchanged"] += 1
        return counts


def _services(ids: set[int]) -> dict[int, Service]:
    query = select(Service).where(Service.id.in_(ids)).options(selectinload(Service.channels))
    return {service.id: service for service in db.session.scalars(query)}


class _Parser:
    """Checks rows one by one, with every name read once and the codes already seen."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        departments = list(db.session.execute(select(Department.id, Department.code,
                                                     Department.name)))  # fmt: skip
        self.departments = {calc.normalise_code(code): i for i, code, _ in departments}
        self.departments |= {name.casefold(): i for i, _, name in departments}
        self.services = {
            (s.department_id, s.name.casefold()): s
            for s in db.session.scalars(select(Service).options(selectinload(Service.channels)))
        }
        self.promised = writes.promise_metrics()
        metrics = list(self.promised.values())
        self.metrics = {m.code.casefold(): m for m in metrics} | {
            m.name.casefold(): m for m in metrics
        }
        channels = list(db.session.scalars(select(Channel)))
        self.channels = {calc.vocabulary_key(c.code): c for c in channels} | {
            calc.vocabulary_key(c.name): c for c in channels
        }
        self.stored = {s.code.casefold(): s for s in db.session.scalars(select(ServiceStandard))}
        self.seen: dict[str, int] = {}

    def parse(self, row: Row) -> StandardRow | None:
        """A StandardRow, or None after recording every problem of the row."""
        before = len(self.errors)
        service = self._service(row)
        code = self._code(row, service)
        metric = self._named(row, "metric", self.metrics, row.get("metric").casefold())
        channel = self._channel(row)
        target = self._target(row)
        if len(self.errors) > before or service is None or metric is None:
            return None
        data = writes.StandardData(code, unneutralise(row.get("text")), metric.code, target,
                                   channel.id if channel else None)  # fmt: skip
        stored = self.stored.get(code.casefold())
        try:
            writes.checked_promise(service, data, self.promised, stored.channel if stored else None)
        except writes.StandardError as error:
            self._error(row, error.field, error.message)
            return None
        after = {"service": service.name, "text": writes.clean_text(data.text),
                 "metric": metric.code, "target": target,
                 "channel": channel.code if channel else None}  # fmt: skip
        label = f"{service.department.code} {service.name}: {code}"
        if stored is None:
            return StandardRow(row.number, service.id, label, data, None, None, after)
        before_state = {k: v for k, v in writes.standard_state(stored).items() if k in after}
        data = writes.StandardData(stored.code, data.text, data.metric, target,
                                   data.channel_id)  # fmt: skip
        return StandardRow(row.number, service.id, label, data, stored.id, before_state, after)

    def _service(self, row: Row) -> Service | None:
        raw = unneutralise(row.get("department"))
        dept_id = self.departments.get(calc.normalise_code(raw)) or self.departments.get(
            raw.casefold()
        )
        if dept_id is None:
            reason = f"unknown department '{raw}'" if raw else "a department is required"
            self._error(row, "department", reason)
            return None
        name = unneutralise(row.get("service"))
        service = self.services.get((dept_id, name.casefold()))
        if service is None:
            reason = f"unknown service '{name}' for this department" if name else (
                "a service name is required")  # fmt: skip
            self._error(row, "service", reason)
        return service

    def _code(self, row: Row, service: Service | None) -> str:
        code = unneutralise(row.get("code"))
        problem = writes.code_problem(code)
        if problem is not None:
            self._error(row, "code", problem)
            return code
        key = code.casefold()
        if key in self.seen:
            self._error(row, "code", f"the code {code} is also on row {self.seen[key]}")
        self.seen.setdefault(key, row.number)
        stored = self.stored.get(key)
        if stored is not None and service is not None and stored.service_id != service.id:
            reason = (f"the code {stored.code} is a standard of another service "
                      f"({stored.service.name}): a standard does not move")  # fmt: skip
            self._error(row, "code", reason)
        return code

    def _named(self, row: Row, column: str, names: dict[str, Any], key: str) -> Any:
        found = names.get(key)
        if found is None:
            raw = row.get(column)
            self._error(
                row, column, f"unknown {column} '{raw}'" if raw else f"a {column} is required"
            )
        return found

    def _channel(self, row: Row) -> Channel | None:
        raw = unneutralise(row.get("channel"))
        if not raw:
            return None
        found: Channel | None = self._named(row, "channel", self.channels, calc.vocabulary_key(raw))
        return found

    def _target(self, row: Row) -> float | None:
        raw = row.get("target")
        target = parse_number(raw)
        if target is None:
            self._error(row, "target", f"'{raw}' is not a number" if raw else
                        "a target is required")  # fmt: skip
        return target

    def _error(self, row: Row, column: str, reason: str) -> None:
        self.errors.append(RowError(row.number, column, reason))
