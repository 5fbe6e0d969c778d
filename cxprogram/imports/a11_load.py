"""Load parsed A-11 rows into the database, idempotently: the departments, services,
channels, periods and metrics it names are created here, the observations written by the
observation service. Flushes, never commits."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import insert, select

from cxprogram.auth.models import User
from cxprogram.core import audit
from cxprogram.core.fiscal import FiscalQuarter
from cxprogram.extensions import db
from cxprogram.imports.a11 import A11Answer, A11Row
from cxprogram.metrics import services as metric_services
from cxprogram.metrics.catalog import A11_CHANNEL_ALIASES, SURVEY_METRICS
from cxprogram.metrics.models import Observation, ReportingPeriod, Source
from cxprogram.metrics.observation_payload import Existing, ObservationPayload, ObservationRow
from cxprogram.metrics.observation_writes import write_observations
from cxprogram.org import services as org_services
from cxprogram.org.models import Channel, Department, Service, service_channels


@dataclass
class A11Summary:
    """What an import created, changed and left alone."""

    departments_created: int = 0
    services_created: int = 0
    channels_created: int = 0
    periods_created: int = 0
    metrics_created: int = 0
    observations_created: int = 0
    observations_updated: int = 0
    observations_unchanged: int = 0
    department_codes: set[str] = field(default_factory=set)
    period_labels: set[str] = field(default_factory=set)

    @property
    def changed_anything(self) -> bool:
        """True when any row was written."""
        counts = self.as_dict()
        return any(v for k, v in counts.items() if k != "observations_unchanged")

    def as_dict(self) -> dict[str, int]:
        """Counts only, for the audit log and the command's output."""
        return {k: v for k, v in vars(self).items() if isinstance(v, int)}


@dataclass(frozen=True, slots=True)
class _Target:
    """Where one row's observations go, as ids."""

    department_id: int
    service_id: int
    channel_id: int | None
    period_id: int
    period_label: str
    record_key: str


def _channel_code(raw: str) -> str:
    return A11_CHANNEL_ALIASES.get(raw) or re.sub(r"[^a-z0-9]+", "_", raw.lower()).strip("_")


class _Structure:
    """The departments, channels, services, links and periods the rows name: the stored ones
    read in a few queries, the missing ones created together, so the cost does not grow with
    a query or a flush per row."""

    def __init__(self, rows: list[A11Row], summary: A11Summary, start_month: int) -> None:
        self.summary = summary
        self.departments = self._departments(rows)
        self.channels = self._channels(rows)
        self.services = self._services(rows)
        self._link_channels(rows)
        self.periods = self._periods(rows, start_month)

    def _departments(self, rows: list[A11Row]) -> dict[str, int]:
        stored = dict(db.session.execute(select(Department.code, Department.id)).tuples().all())
        missing: dict[str, str] = {}
        for row in rows:
            if row.department_code not in stored:
                missing.setdefault(row.department_code, row.department_name)
        if missing:
            values = [{"code": code, "name": name} for code, name in missing.items()]
            stored |= dict(db.session.execute(
                insert(Department).returning(Department.code, Department.id), values
            ).tuples().all())  # fmt: skip
            self.summary.departments_created = len(missing)
        return stored

    def _channels(self, rows: list[A11Row]) -> dict[str, int]:
        stored = dict(db.session.execute(select(Channel.code, Channel.id)).tuples().all())
        for raw in sorted({row.channel for row in rows if row.channel}):
            code = _channel_code(raw)
            if code not in stored:
                channel = Channel(code=code, name=raw.replace("_", " ").capitalize())
                db.session.add(channel)
                db.session.flush()
                stored[code] = channel.id
                self.summary.channels_created += 1
        return stored

    def _services(self, rows: list[A11Row]) -> dict[tuple[int, str], int]:
        query = select(Service.department_id, Service.name, Service.id)
        stored = {(d, name): sid for d, name, sid in db.session.execute(query)}
        missing: dict[tuple[int, str], str] = {}
        for row in rows:
            key = (self.departments[row.department_code], row.service_name)
            if key not in stored:
                missing.setdefault(key, row.service_provider)
        if missing:
            values = [{"department_id": d, "name": name, "provider": provider,
                       "description": ""} for (d, name), provider in missing.items()]  # fmt: skip
            returned = db.session.execute(
                insert(Service).returning(Service.department_id, Service.name, Service.id), values
            )
            stored |= {(d, name): sid for d, name, sid in returned}
            self.summary.services_created = len(missing)
        return stored

    def _link_channels(self, rows: list[A11Row]) -> None:
        """Each service is offered through the channels its rows name."""
        links = service_channels.c
        stored = set(db.session.execute(select(links.service_id, links.channel_id)).tuples())
        wanted = {
            (self.service_id(row), self.channels[_channel_code(row.channel)])
            for row in rows
            if row.channel
        }
        missing = sorted(wanted - stored)
        if missing:
            db.session.execute(
                insert(service_channels), [{"service_id": s, "channel_id": c} for s, c in missing]
            )
            # services loaded as objects earlier in the session must read their channels again
            for obj in list(db.session.identity_map.values()):
                if isinstance(obj, Service):
                    db.session.expire(obj, ["channels"])

    def _periods(
        self, rows: list[A11Row], start_month: int
    ) -> dict[tuple[int, int], ReportingPeriod]:
        periods = {}
        for year, quarter in sorted({(row.fiscal_year, row.fiscal_quarter) for row in rows}):
            period, created = metric_services.ensure_period(
                FiscalQuarter(year, quarter), start_month
            )
            periods[(year, quarter)] = period
            self.summary.periods_created += int(created)
        return periods

    def service_id(self, row: A11Row) -> int:
        return self.services[(self.departments[row.department_code], row.service_name)]

    def target(self, row: A11Row) -> _Target:
        period = self.periods[(row.fiscal_year, row.fiscal_quarter)]
        self.summary.department_codes.add(row.department_code)
        self.summary.period_labels.add(period.label)
        return _Target(
            self.departments[row.department_code],
            self.service_id(row),
            self.channels[_channel_code(row.channel)] if row.channel else None,
            period.id,
            period.label,
            f"a11:{row.record_id}",
        )


ObservationKey = tuple[int, int, str]


def load_a11(rows: list[A11Row], actor: User | None = None, source_name: str = "") -> A11Summary:
    """Create what is missing, then write one observation per row and answered question
    through the observation service (a closed period refuses the whole file)."""
    summary = A11Summary()
    metric_services.ensure_vocabularies()
    org = org_services.ensure_settings()
    metrics = {}
    for spec in SURVEY_METRICS:
        metric, created = metric_services.ensure_metric(spec)
        metrics[spec.code] = metric.id
        summary.metrics_created += int(created)
    structure = _Structure(rows, summary, org.fiscal_year_start_month)
    existing = _existing_a11_observations()
    payload = ObservationPayload()
    for row in rows:
        target = structure.target(row)
        for answer in row.answers:
            metric_id = metrics[answer.metric]
            old = existing.get((metric_id, target.period_id, target.record_key))
            _plan(payload, old, _item(row.row_number, answer, metric_id, target))
    write_observations(payload, actor, Source.IMPORT, source_name or "a11")
    summary.observations_created = len(payload.adds)
    summary.observations_updated = len(payload.changes)
    summary.observations_unchanged = payload.same
    db.session.flush()
    if summary.changed_anything:
        audit.record("import", "a11", source_name or "a11", actor=actor, after=summary.as_dict())
    return summary


def _existing_a11_observations() -> dict[ObservationKey, Existing]:
    o = Observation.__table__.c
    query = select(
        o.id, o.metric_id, o.period_id, o.import_key, o.value, o.n, o.note, o.version,
        o.distribution, o.label,
    ).where(o.import_key.like("a11:%"))  # fmt: skip
    return {  # the label is kept as stored: an update writes it back unchanged
        (r.metric_id, r.period_id, r.import_key): Existing(
            r.id, r.value, r.n, r.note or "", r.version, r.distribution, r.label or ""
        )
        for r in db.session.execute(query)
    }


def _item(number: int, answer: A11Answer, metric_id: int, target: _Target) -> ObservationRow:
    """One answered question as a row to write; the counts are the source of truth."""
    key = (target.department_id, metric_id, target.period_label, target.service_id,
           target.channel_id, target.record_key, None, None)  # fmt: skip
    return ObservationRow(
        number, key, answer.value, float(answer.n), None, True, list(answer.counts)
    )


def _plan(payload: ObservationPayload, old: Existing | None, item: ObservationRow) -> None:
    """An add, a change (the counts or the value differ) or the same."""
    if old is None:
        payload.adds.append(item)
    elif old.distribution != item.distribution or old.value != item.value:
        payload.changes.append((item, old))
    else:
        payload.same += 1
