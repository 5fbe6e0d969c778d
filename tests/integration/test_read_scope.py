"""Role x endpoint read scope: every GET answer that shows department data holds the data
of exactly the departments the role reads (SPEC 2), judged by what the body contains.

Two departments, A and B, each have a service, an observation, a strategy, a submitted
plan, audit history and a row in a computed rollup. Every GET endpoint of the URL map (the
API included) is either walked here for each role or listed as showing no department data,
so a new endpoint fails this file until someone decides which it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.routing import Rule

from cxprogram.admin import standards as standard_services
from cxprogram.admin.standards import StandardData
from cxprogram.auth.tokens import create_token
from cxprogram.core import audit
from cxprogram.core.fiscal import FiscalQuarter
from cxprogram.metrics import services as metric_services
from cxprogram.metrics.models import Observation, Source
from cxprogram.org import services as org_services
from cxprogram.org.models import Channel, JourneyStage, Service
from cxprogram.review import services as review_services
from cxprogram.strategies.models import Strategy, StrategyStatus, StrategyTouchpoint
from tests.integration.test_permissions import get_rules

PERIOD = "FY2024-Q1"  # the observations', plans' and history's period; FY2024-Q2 is current
DEPARTMENTS = {"A": ("ALPHAQ", "Alphaquill Bureau"), "B": ("BRAVOQ", "Bravoquill Bureau")}
TITLES = {"A": "Lantern kiosks of Alphaquill", "B": "Lantern kiosks of Bravoquill"}
ROLES = ("admin", "chief", "officer_a", "viewer_a", "viewer_all")

# Which departments each role's answers may show, written out (not computed by the code
# under test). Officers read their own departments' details (SPEC 2); of the others, only
# what the organization's rollup publishes (scores, consistency, effects with the title).
READ = {"admin": "", "chief": "AB", "officer_a": "A", "viewer_a": "A", "viewer_all": "AB"}
PUBLISHED = {"admin": "", "chief": "AB", "officer_a": "AB", "viewer_a": "A", "viewer_all": "AB"}
EDIT = {"admin": "", "chief": "AB", "officer_a": "A", "viewer_a": "", "viewer_all": ""}
HOME = {"admin": "", "chief": "AB", "officer_a": "A", "viewer_a": "A", "viewer_all": "AB"}
CHIEF = {"admin": "", "chief": "AB", "officer_a": "", "viewer_a": "", "viewer_all": ""}
QUEUE = {"admin": "", "chief": "AB", "officer_a": "", "viewer_a": "A", "viewer_all": "AB"}
TRACKER = {"admin": "", "chief": "AB", "officer_a": "", "viewer_a": "A", "viewer_all": "AB"}


@dataclass(frozen=True)
class Case:
    """What an endpoint shows each role. `filter` names a query argument that narrows it to
    one department (walked for A and B too); `refuses_outsiders`: a role reading none of
    it gets 403 rather than an empty answer."""

    scope: dict[str, str]
    filter: str | None = None
    refuses_outsiders: bool = False


SHOWS_DEPARTMENT_DATA: dict[str, Case] = {
    "main.home": Case(HOME),  # an officer's home shows their own departments
    "main.view_tracker": Case(TRACKER, refuses_outsiders=True),  # chiefs' and viewers'
    "dashboard.view_dashboard": Case(PUBLISHED, refuses_outsiders=True),  # the org rollup
    "dashboard.view_department": Case(PUBLISHED),  # its published figures
    "main.departments": Case(READ),
    "org.view_department": Case(READ),
    "org.edit_service": Case(EDIT),
    "metrics.current_grid": Case(EDIT),
    "metrics.edit_grid": Case(READ),  # read-only for those who read, not edit (issue 12)
    "audit.view_history": Case(READ),
    "audit.download_audit": Case(CHIEF, refuses_outsiders=True),  # the whole log
    "review.view_current_plan": Case(READ),
    "review.view_plan": Case(READ),
    "review.confirm_reopen": Case(EDIT),
    "review.list_queue": Case(QUEUE, refuses_outsiders=True),  # the chief's; viewers read it
    "review.download_queue": Case(QUEUE, refuses_outsiders=True),
    "review.view_coverage": Case(READ, refuses_outsiders=True),  # officers: their own only
    "review.download_coverage": Case(READ, refuses_outsiders=True),
    "strategies.list_strategies": Case(READ),
    "strategies.view_strategy": Case(READ),
    "strategies.view_history": Case(READ),
    "strategies.create_strategy": Case(EDIT),
    "strategies.edit_strategy": Case(EDIT),
    "strategies.cancel_strategy": Case(EDIT),
    "exports.list_exports": Case(READ),  # the form lists every readable department
    "exports.download_export": Case(READ, filter="department"),
    "api.list_departments": Case(READ),
    "api.list_observations": Case(READ, filter="department"),
    "api.list_strategies": Case(READ),
    "api.list_standards": Case(READ),
    "api.get_rollup": Case(PUBLISHED),  # the org rollup: every department's scores
}

SHOWS_NO_DEPARTMENT_DATA: dict[str, str] = {
    "static": "assets",
    "ops.healthz": "that the process runs",
    "reports.list_reports": "the archive of the published quarterly reports",
    "reports.report_status": "a report's production progress",
    "reports.download_report": "the published report, for readers of the whole rollup",
    "ops.readyz": "whether the database answers and its migrations are current",
    "auth.login": "the sign-in form",
    "auth.change_password": "one's own account",
    "people.set_password": "a one-time link's form",
    "people.list_tokens": "one's own API tokens",
    "people.list_officers": "the directory of people (names and e-mail)",
    "people.list_users": "accounts, administered by admins",
    "people.create_user": "accounts, administered by admins",
    "people.edit_user": "accounts, administered by admins",
    "people.list_all_tokens": "tokens, administered by admins",
    "admin.edit_settings": "the organization's settings",
    "admin.list_departments": "the structure admins administer (names, codes, services)",
    "admin.new_department": "the structure admins administer",
    "admin.edit_department": "the structure admins administer",
    "admin.new_service": "the structure admins administer",
    "admin.edit_service": "the structure admins administer",
    "admin.list_standards": "the structure admins administer (a service's standards)",
    "admin.new_standard": "the structure admins administer",
    "admin.edit_standard": "the structure admins administer",
    "admin.list_vocabularies": "the channel and journey-stage vocabularies, with use counts",
    "admin.new_term": "the vocabularies admins administer",
    "admin.edit_term": "the vocabularies admins administer",
    "main.metrics": "the organization's metric catalog",
    "metrics.create_metric": "the metric catalog's form",
    "metrics.edit_metric": "the metric catalog's form",
    "metrics.list_periods": "the reporting calendar (dates and states)",
    "imports.list_imports": "the list of import kinds",
    "imports.upload_file": "the upload form",
    "imports.preview_import": "the uploader's own file, before it is written",
    "audit.export_audit": "the chief's export form (the download is walked)",
    "exports.view_job": "one's own export job: its rows are the download's (walked), and no "
    "other user sees it (test_exports_at_scale)",
    "exports.download_job_file": "one's own export job's file, as above",
    "api.list_metrics": "the organization's metric catalog",
    "api.list_periods": "the reporting calendar",
    "api.openapi": "the API's description",
    "dashboard.view_method": "how the rollup is computed, in words",
    "ops.favicon": "the site's icon",
}


@dataclass(frozen=True)
class World:
    """The two departments' codes, their strategies' and services' ids, a user per role."""

    codes: dict[str, str]
    strategy_ids: dict[str, int]
    service_ids: dict[str, int]
    users: dict[str, Any]


@pytest.fixture
def world(db_session: Any, make_department: Any, make_user: Any, runner: Any) -> World:
    org_services.ensure_settings("Read scope organization")
    metric_services.ensure_vocabularies()
    metrics = {m.code: m for m in metric_services.ensure_standard_metrics()}
    period, _ = metric_services.ensure_period(FiscalQuarter(2024, 1), 10)
    metric_services.ensure_period(FiscalQuarter(2024, 2), 10)
    chief = make_user("chief")
    kiosk = db_session.scalars(select(Channel).where(Channel.code == "kiosk")).one()
    get_help = db_session.scalars(select(JourneyStage).where(JourneyStage.code == "get_help")).one()
    strategy_ids, service_ids = {}, {}
    for letter, (code, name) in DEPARTMENTS.items():
        dept = make_department(code, name)
        service = Service(department=dept, name=f"{name} front desk", channels=[kiosk])
        strategy = Strategy(
            department=dept, title=TITLES[letter], status=StrategyStatus.ON_TRACK, progress=40,
            start_date=date(2023, 9, 1), effective_date=date(2023, 11, 1),
            end_date=date(2025, 9, 30),
        )  # fmt: skip
        strategy.touchpoints.append(StrategyTouchpoint(channel=kiosk, stage=get_help))
        observation = Observation(
            department=dept, metric=metrics["satisfaction"], period=period,
            value=4.5 if letter == "A" else 4.25, n=200.0, note="Steady quarter.",
            source=Source.FORM,
        )  # fmt: skip
        db_session.add_all([service, strategy, observation])
        db_session.flush()
        standard_services.create_standard(
            service, StandardData(f"{code}-STD", "Answer within 60 s", "within_standard", 80.0),
            chief,
        )  # fmt: skip
        audit.record("create", "strategy", strategy.id, actor=chief,
                     after={"title": strategy.title}, department_id=dept.id)  # fmt: skip
        audit.record("update", "observation", observation.id, actor=chief,
                     before={"value": 3.0}, after={"value": observation.value},
                     department_id=dept.id, period_label=PERIOD)  # fmt: skip
        review_services.submit_plan(dept, period, chief)
        strategy_ids[letter], service_ids[letter] = strategy.id, service.id
    db_session.flush()
    result = runner.invoke(args=["rollup", "--period", PERIOD])
    assert result.exit_code == 0, result.output
    users = {
        "admin": make_user("admin"),
        "chief": chief,
        "officer_a": make_user("officer", departments=(DEPARTMENTS["A"][0],)),
        "viewer_a": make_user("viewer", departments=(DEPARTMENTS["A"][0],)),
        "viewer_all": make_user("viewer"),
    }
    codes = {letter: code for letter, (code, _) in DEPARTMENTS.items()}
    return World(codes, strategy_ids, service_ids, users)


@dataclass(frozen=True)
class Url:
    """A URL to request and the departments whose data it may show at most."""

    path: str
    subject: str


def _values(rule: Rule, letter: str, world: World) -> dict[str, Any]:
    """Values for the rule's arguments, those naming a department taken from `letter`."""
    known = {
        "code": world.codes[letter], "strategy_id": world.strategy_ids[letter],
        "service_id": world.service_ids[letter], "label": PERIOD, "period": PERIOD,
        "dataset": "observations", "fmt": "csv",
    }  # fmt: skip
    unknown = set(rule.arguments) - set(known)
    assert not unknown, f"{rule.endpoint}: teach this test the arguments {unknown}"
    return {name: known[name] for name in rule.arguments}


PER_DEPARTMENT = {"code", "strategy_id", "service_id"}
# Query arguments a list needs to show the world's data (its plans are of PERIOD, not the
# current period the queue opens on).
QUERY_ARGS = {"review.list_queue": {"period": PERIOD}, "review.download_queue": {"period": PERIOD}}


def _urls(app: Flask, rule: Rule, case: Case, world: World) -> list[Url]:
    """The URLs walked for one rule: per department when its arguments name one, else
    once (and once per department through the case's filter)."""
    adapter = app.url_map.bind("localhost")
    if PER_DEPARTMENT & set(rule.arguments):
        return [Url(adapter.build(rule.endpoint, _values(rule, x, world)), x) for x in "AB"]
    datasets = ("observations", "strategies") if "dataset" in rule.arguments else ("",)
    urls = []
    for dataset in datasets:
        values = _values(rule, "A", world) | ({"dataset": dataset} if dataset else {})
        values |= QUERY_ARGS.get(rule.endpoint, {})
        path = adapter.build(rule.endpoint, values)
        urls.append(Url(path, "AB"))
        if case.filter:
            sep = "&" if "?" in path else "?"
            urls += [Url(f"{path}{sep}{case.filter}={world.codes[x]}", x) for x in "AB"]
    return urls


def _found(body: str) -> str:
    """The departments whose code, name or strategy title the body contains."""
    return "".join(x for x in "AB" if any(m in body for m in (*DEPARTMENTS[x], TITLES[x])))


def _expected_status(url: Url, expected: str, case: Case) -> int:
    """403 where the role reads none of the one department a URL names, else 200 (a list
    the role reads nothing of answers 200 and empty, unless it refuses outsiders)."""
    if len(url.subject) == 1 or case.refuses_outsiders:
        return 200 if expected else 403
    return 200


def test_every_get_endpoint_is_classified(app: Flask) -> None:
    endpoints = {rule.endpoint for rule, _ in get_rules(app)}
    both = set(SHOWS_DEPARTMENT_DATA) & set(SHOWS_NO_DEPARTMENT_DATA)
    assert both == set(), f"classified twice: {both}"
    unclassified = endpoints - set(SHOWS_DEPARTMENT_DATA) - set(SHOWS_NO_DEPARTMENT_DATA)
    assert unclassified == set(), f"decide whether these show department data: {unclassified}"
    stale = (set(SHOWS_DEPARTMENT_DATA) | set(SHOWS_NO_DEPARTMENT_DATA)) - endpoints
    assert stale == set(), f"no such GET endpoints any more: {stale}"


@pytest.mark.parametrize("role", ROLES)
def test_each_answer_shows_only_the_departments_the_role_reads(
    app: Flask, client: Any, login: Any, world: World, role: str
) -> None:
    user = world.users[role]
    assert login(user.email).status_code == 302
    headers = {"Authorization": f"Bearer {create_token(user)}"}
    api_client = app.test_client()  # no session cookie: the API reads the token
    problems, walked = [], 0
    for rule, permission in get_rules(app):
        case = SHOWS_DEPARTMENT_DATA.get(rule.endpoint)
        if case is None:
            continue
        for url in _urls(app, rule, case, world):
            if permission.needs_token:
                response = api_client.get(url.path, headers=headers)
            else:
                response = client.get(url.path, follow_redirects=True)
            expected = "".join(x for x in url.subject if x in case.scope[role])
            status = _expected_status(url, expected, case)
            found = _found(response.get_data(as_text=True))
            if (response.status_code, found) != (status, expected):
                problems.append(f"{url.path}: {response.status_code} showing {found or '-'}, "
                                f"expected {status} showing {expected or '-'}")  # fmt: skip
            walked += 1
    assert problems == [], f"{role}:\n" + "\n".join(problems)
    assert walked == 52  # 13 endpoints naming a department x 2, 26 URLs of lists
