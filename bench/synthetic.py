"""Build a synthetic organization at scale for the benchmarks (issue 4, item 7).

200 departments x 5 services x 2 channels x 40 quarters x 7 survey metrics = 560,000
observations, inserted with bulk `executemany` through SQLAlchemy Core.
"""

from __future__ import annotations

import random

from sqlalchemy import insert, select

from cxprogram.core.fiscal import FiscalQuarter
from cxprogram.extensions import db
from cxprogram.metrics import services as metric_services
from cxprogram.metrics.catalog import SURVEY_METRICS
from cxprogram.metrics.models import MetricDefinition, Observation, ReportingPeriod
from cxprogram.org import services as org_services
from cxprogram.org.models import Channel, Department, Service


def build(departments: int = 200, quarters: int = 40, seed: int = 7) -> int:
    """Create the organization; returns the number of observations."""
    rng = random.Random(seed)
    org_services.ensure_settings("Synthetic organization")
    metric_services.ensure_vocabularies()
    metrics = [metric_services.ensure_metric(spec)[0] for spec in SURVEY_METRICS]
    channels = list(db.session.scalars(select(Channel).where(Channel.code.in_(["web", "phone"]))))
    first = FiscalQuarter(2015, 1)
    periods = [metric_services.ensure_period(first.shift(k), 10)[0] for k in range(quarters)]
    db.session.execute(
        insert(Department),
        [{"code": f"D{i:03d}", "name": f"Department {i}"} for i in range(departments)],
    )
    depts = list(db.session.scalars(select(Department).order_by(Department.id)))
    db.session.execute(
        insert(Service),
        [
            {"department_id": d.id, "name": f"Service {k}", "provider": d.code}
            for d in depts
            for k in range(5)
        ],
    )
    services = {}
    for s in db.session.scalars(select(Service)):
        services.setdefault(s.department_id, []).append(s.id)
    return _observations(rng, depts, services, channels, periods, metrics)


def _observations(
    rng: random.Random,
    depts: list[Department],
    services: dict[int, list[int]],
    channels: list[Channel],
    periods: list[ReportingPeriod],
    metrics: list[MetricDefinition],
) -> int:
    total = 0
    for period in periods:
        rows = []
        for dept in depts:
            level = 3.6 + (dept.id % 13) / 13
            for service_id in services[dept.id]:
                for channel in channels:
                    for metric in metrics:
                        n = rng.randint(20, 5000)
                        rows.append({
                            "department_id": dept.id, "metric_id": metric.id,
                            "period_id": period.id,
                            "service_id": service_id, "channel_id": channel.id, "import_key": "",
                            "value": min(5.0, max(1.0, rng.gauss(level, 0.3))), "n": float(n),
                            "note": "", "source": "import", "version": 1,
                        })  # fmt: skip
        db.session.execute(insert(Observation), rows)
        total += len(rows)
    return total
