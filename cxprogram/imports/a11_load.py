"""Load parsed A-11 rows into the database, idempotently: the departments, services,
channels, periods and metrics it names are created here, the observations written by the
observation service. Flushes, never commits."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import select

from cxprogram.auth.models import User
from cxprogram.core import audit
from cxprogram.core.fiscal import FiscalQuarter
from cxprogram.extensions import db
from cxprogram.imports.a11 import A11Answer, A11Row
from cxprogram.metrics import services as metric_services
from cxprogram.metrics.catalog import A11_CHANNEL_ALIASES, SURVEY_METRICS
from cxprogram.metrics.models import MetricDefinition, Observation, ReportingPeriod, Source
from cxprogram.metrics.observation_payload import Existing, ObservationPayload, ObservationRow
from cxprogram.metrics.observation_writes import write_observations
from cxprogram.org import services as org_services
from cxprogram.org.models import Channel, Department, Service


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


@dataclass
class _Target:
    """Where one row's observations go."""

    department: Department
    service: Service
    channel: Channel | None
    period: ReportingPeriod
    record_key: str


class _Cache:
    """Rows by natural key, so each is fetched or created once per import."""

    def __init__(self, summary: A11Summary, start_month: int) -> None:
        self.summary = summary
        self.start_month = start_month
        self.departments = {d.code: d for d in db.session.scalars(select(Department))}
        self.channels = {c.code: c for c in db.session.scalars(select(Channel))}
        self.services = {(s.department_id, s.name): s for s in db.session.scalars(select(Service))}
        self.metrics = {m.code: m for m in db.session.scalars(select(MetricDefinition))}
        self.periods: dict[str, ReportingPeriod] = {}

    def department(self, row: A11Row) -> Department:
        dept = self.departments.get(row.department_code)
        if dept is None:
            dept = Department(code=row.department_code, name=row.department_name)
            db.session.add(dept)
            db.session.flush()
            self.departments[dept.code] = dept
            self.summary.departments_created += 1
        return dept

    def channel(self, raw: str) -> Channel | None:
        if not raw:
            return None
        code = A11_CHANNEL_ALIASES.get(raw) or re.sub(r"[^a-z0-9]+", "_", raw.lower()).strip("_")
        chan = self.channels.get(code)
        if chan is None:
            chan = Channel(code=code, name=raw.replace("_", " ").capitalize())
            db.session.add(chan)
            db.session.flush()
            self.channels[code] = chan
            self.summary.channels_created += 1
        return chan

    def service(self, dept: Department, row: A11Row, channel: Channel | None) -> Service:
        key = (dept.id, row.service_name)
        svc = self.services.get(key)
        if svc is None:
            svc = Service(department=dept, name=row.service_name, provider=row.service_provider)
            db.session.add(svc)
            db.session.flush()
            self.services[key] = svc
            self.summary.services_created += 1
        if channel is not None and channel not in svc.channels:
            svc.channels.append(channel)
        return svc

    def period(self, row: A11Row) -> ReportingPeriod:
        quarter = FiscalQuarter(row.fiscal_year, row.fiscal_quarter)
        period = self.periods.get(quarter.label)
        if period is None:
            period, created = metric_services.ensure_period(quarter, self.start_month)
            self.periods[quarter.label] = period
            self.summary.periods_created += int(created)
        return period

    def metric(self, code: str) -> MetricDefinition:
        metric = self.metrics.get(code)
        if metric is None:
            spec = next(s for s in SURVEY_METRICS if s.code == code)
            metric, created = metric_services.ensure_metric(spec)
            self.metrics[code] = metric
            self.summary.metrics_created += int(created)
        return metric

    def target(self, row: A11Row) -> _Target:
        dept = self.department(row)
        channel = self.channel(row.channel)
        service = self.service(dept, row, channel)
        period = self.period(row)
        self.summary.department_codes.add(dept.code)
        self.summary.period_labels.add(period.label)
        return _Target(dept, service, channel, period, f"a11:{row.record_id}")


ObservationKey = tuple[int, int, str]


def load_a11(rows: list[A11Row], actor: User | None = None, source_name: str = "") -> A11Summary:
    """Create what is missing, then write one observation per row and answered question
    through the observation service (a closed period refuses the whole file)."""
    summary = A11Summary()
    metric_services.ensure_vocabularies()
    org = org_services.ensure_settings()
    cache = _Cache(summary, org.fiscal_year_start_month)
    for spec in SURVEY_METRICS:
        cache.metric(spec.code)
    existing = _existing_a11_observations()
    payload = ObservationPayload()
    for row in rows:
        target = cache.target(row)
        for answer in row.answers:
            metric = cache.metric(answer.metric)
            old = existing.get((metric.id, target.period.id, target.record_key))
            _plan(payload, old, _item(row.row_number, answer, metric, target))
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
        o.distribution,
    ).where(o.import_key.like("a11:%"))  # fmt: skip
    return {
        (r.metric_id, r.period_id, r.import_key): Existing(
            r.id, r.value, r.n, r.note or "", r.version, r.distribution
        )
        for r in db.session.execute(query)
    }


def _item(
    number: int, answer: A11Answer, metric: MetricDefinition, target: _Target
) -> ObservationRow:
    """One answered question as a row to write; the counts are the source of truth."""
    key = (
        target.department.id, metric.id, target.period.label, target.service.id,
        target.channel.id if target.channel else None, target.record_key,
    )  # fmt: skip
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
