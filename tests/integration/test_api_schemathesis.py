"""Schemathesis against the app's own OpenAPI document, through the WSGI app, with a valid
chief's bearer token: no server error and no response that breaks the documented schema,
on every operation (GET and POST), with valid and invalid (negative) inputs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from cxprogram.api.openapi import document
from cxprogram.auth.tokens import create_token
from cxprogram.core.fiscal import FiscalQuarter
from cxprogram.imports.framework import apply_plan, plan_file
from cxprogram.imports.observations import observation_importer
from cxprogram.metrics import services as metric_services
from cxprogram.metrics.models import Direction, Driver, MetricDefinition
from cxprogram.models import Service, Strategy, StrategyDriver, StrategyMetric
from cxprogram.org import services as org_services
from cxprogram.rollup.services import run_rollup

DATA = b"""department,metric,period,value,n,service,channel
VA,satisfaction,FY2022-Q4,4.1,100,Benefits,web
VA,satisfaction,FY2023-Q1,4.3,120,Benefits,web
DOS,satisfaction,FY2022-Q4,3.9,80,,phone
DOS,satisfaction,FY2023-Q1,3.7,90,,phone
VA,trust,FY2023-Q1,4.0,120,Benefits,
"""


@pytest.fixture
def token(db_session: Any, make_department: Any, make_user: Any) -> str:
    """A small organization with observations, a strategy and a rollup; a chief's token."""
    org_services.ensure_settings("Schemathesis org")
    metric_services.ensure_vocabularies()
    metric_services.ensure_standard_metrics()
    va = make_department("VA")
    make_department("DOS")
    db_session.add(Service(department=va, name="Benefits"))
    quarters = (FiscalQuarter(2022, 4), FiscalQuarter(2023, 1))
    periods = [metric_services.ensure_period(q, 10)[0] for q in quarters]
    db_session.flush()
    plan = plan_file(observation_importer(), "seed.csv", DATA, None, 1_000_000)
    apply_plan(observation_importer(), plan, None)
    sat = db_session.query(MetricDefinition).filter_by(code="satisfaction").one()
    strategy = Strategy(department=va, title="Online claims", effective_date=date(2022, 11, 1))
    strategy.metric_links.append(StrategyMetric(metric=sat, expected_direction=Direction.HIGHER))
    strategy.drivers.append(StrategyDriver(driver=Driver.EASE))
    db_session.add(strategy)
    db_session.flush()
    for period in periods:
        run_rollup(period, datetime.now(UTC))
    db_session.flush()
    return create_token(make_user("chief"))


# The document the app serves (built without an app); requests go through the WSGI app. Its
# examples (FY2023-Q1, a VA satisfaction item) name what the fixture holds, so the examples
# phase reads a real rollup (200) and stores a real POST (201).
schema = schemathesis.openapi.from_dict(document())


# A schema-valid POST item can still name a department or metric that does not exist, or
# a value outside that metric's scale: the import's rules answer 422, by design.
EXCLUDED = [positive_data_acceptance]


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforms_to_its_document(case: Any, app: Flask, token: str) -> None:
    case.operation.app = case.operation.schema.app = app  # checks' probes too, via WSGI
    # The cases that test a missing or broken Authorization header go without the token: forced
    # onto them, it undid their negation and schemathesis took the then valid request for an
    # accepted invalid one (schemathesis's own auth providers skip these cases the same way).
    negated = case.operation.schema.is_security_param_negated(case)
    headers = {} if negated else {"Authorization": f"Bearer {token}"}
    case.call_and_validate(headers=headers, excluded_checks=EXCLUDED)


def test_the_document_served_is_the_one_tested(client: Any) -> None:
    assert client.get("/api/v1/openapi.json").get_json() == document()
