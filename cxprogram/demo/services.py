"""Build the demonstration organization: real A-11 data, strategies, one user per role."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from cxprogram.auth import services as auth_services
from cxprogram.auth.models import Role, User
from cxprogram.extensions import db
from cxprogram.imports.a11 import read_a11_file
from cxprogram.imports.a11_load import A11Summary, load_a11
from cxprogram.metrics import services as metric_services
from cxprogram.metrics.models import Direction, Driver, MetricDefinition, ReportingPeriod
from cxprogram.org import services as org_services
from cxprogram.org.models import Channel, Department, JourneyStage
from cxprogram.strategies.models import (
    Milestone,
    Strategy,
    StrategyDriver,
    StrategyMetric,
    StrategyStatus,
    StrategyTouchpoint,
    StrategyUpdate,
)

DATA_FILE = Path(__file__).resolve().parents[2] / "data" / "a11-hisp-cx-fy2021q1-fy2023q1.csv"
DEMO_ORG_NAME = "Federal CX Demonstration"
DEMO_OFFICER_DEPARTMENT = "VA"


@dataclass(frozen=True)
class DemoLogin:
    """A demo account and its password, printed for the person trying the product."""

    role: Role
    email: str
    password: str
    departments: tuple[str, ...] = ()


DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin(Role.ADMIN, "admin@demo.cxprogram.test", "demo-admin-password"),
    DemoLogin(Role.CHIEF, "chief@demo.cxprogram.test", "demo-chief-password"),
    DemoLogin(Role.OFFICER, "officer@demo.cxprogram.test", "demo-officer-password", ("VA",)),
    DemoLogin(Role.VIEWER, "viewer@demo.cxprogram.test", "demo-viewer-password"),
)

DEMO_NAMES = {
    Role.ADMIN: "Avery Admin",
    Role.CHIEF: "Casey Chief",
    Role.OFFICER: "Olivia Officer",
    Role.VIEWER: "Val Viewer",
}

# (title, problem, driver, channel, stage, milestones)
STRATEGY_TEMPLATES: tuple[tuple[str, str, Driver, str, str, tuple[str, ...]], ...] = (
    (
        "Call-back instead of hold queues",
        "Callers wait on hold for a long time and hang up before reaching anyone.",
        Driver.EFFICIENCY, "phone", "get_help",
        ("Select call-back vendor", "Pilot in one contact centre", "Roll out to all lines"),
    ),
    (
        "Plain-language rewrite of the online application",
        "People abandon the online form because its questions are hard to understand.",
        Driver.EASE, "web", "apply",
        ("Usability study of the current form", "Publish rewritten form", "Measure completion"),
    ),
    (
        "Status notifications while people wait",
        "People call to ask where their case stands because nothing tells them.",
        Driver.TRANSPARENCY, "email", "wait",
        ("Define status milestones", "Launch e-mail and text alerts"),
    ),
    (
        "Front-line staff coaching programme",
        "Survey comments say staff are rushed and answers differ from office to office.",
        Driver.EMPLOYEE, "in_person", "get_help",
        ("Train coaches", "Coach every front-line team", "Refresh knowledge base"),
    ),
)  # fmt: skip


def reset_all() -> None:
    """Delete every row of every table (the schema stays)."""
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.expunge_all()  # forget objects of the deleted rows; ids may be reused


def is_loaded() -> bool:
    """True when the demo users already exist."""
    email = DEMO_LOGINS[0].email
    return db.session.scalar(select(User.id).where(User.email == email)) is not None


def load_demo(seed: int = 2023) -> A11Summary:
    """Load real A-11 data, strategies for each department, and one user per role."""
    org_services.ensure_settings(DEMO_ORG_NAME).is_government = True  # federal: the banner
    metric_services.ensure_vocabularies()
    metric_services.ensure_standard_metrics()
    summary = load_a11(read_a11_file(DATA_FILE), source_name=DATA_FILE.name)
    rng = random.Random(seed)
    periods = list(db.session.scalars(select(ReportingPeriod).order_by(ReportingPeriod.start_date)))
    departments = list(db.session.scalars(select(Department).order_by(Department.code)))
    for dept in departments:
        _add_strategies(dept, periods, rng)
    current = random.Random(seed + 1)  # its own stream: the strategies above stay as they were
    for dept in departments:
        _add_current_strategy(dept, periods[-1], current)
    for login in DEMO_LOGINS:
        auth_services.create_user(
            login.email, DEMO_NAMES[login.role], login.role, login.password, list(login.departments)
        )
    return summary


def _add_strategies(dept: Department, periods: list[ReportingPeriod], rng: random.Random) -> None:
    chosen = rng.sample(STRATEGY_TEMPLATES, k=2 + rng.randint(0, 1))
    for template in chosen:
        # Effective dates fall in the data's middle so there are periods before and after.
        effective_period = periods[rng.randint(2, len(periods) - 3)]
        _add_strategy(dept, template, effective_period.start_date + timedelta(days=14), rng)


def _add_current_strategy(dept: Department, period: ReportingPeriod, rng: random.Random) -> None:
    """A strategy under way in the latest period, so every plan has work in progress."""
    own = select(Strategy.title).where(Strategy.department_id == dept.id)
    used = set(db.session.scalars(own))
    template = rng.choice([t for t in STRATEGY_TEMPLATES if t[0] not in used])
    _add_strategy(dept, template, period.start_date + timedelta(days=30), rng,
                  status=StrategyStatus.ON_TRACK)  # fmt: skip


def _add_strategy(
    dept: Department,
    template: tuple[str, str, Driver, str, str, tuple[str, ...]],
    effective: date,
    rng: random.Random,
    status: StrategyStatus | None = None,
) -> Strategy:
    title, problem, driver, channel_code, stage_code, milestones = template
    status = status or rng.choice(
        [StrategyStatus.ON_TRACK, StrategyStatus.AT_RISK, StrategyStatus.DONE]
    )
    strategy = Strategy(
        department=dept, title=title, problem=problem,
        description=f"{dept.name}: {title.lower()}.", owner_name=f"{dept.code} service lead",
        status=status, progress=100 if status == StrategyStatus.DONE else rng.randint(20, 80),
        start_date=effective - timedelta(days=120), effective_date=effective,
        end_date=effective + timedelta(days=365),
    )  # fmt: skip
    db.session.add(strategy)
    for metric_code in ("satisfaction", driver.value):
        metric = db.session.scalar(
            select(MetricDefinition).where(MetricDefinition.code == metric_code)
        )
        if metric is not None and all(link.metric is not metric for link in strategy.metric_links):
            strategy.metric_links.append(
                StrategyMetric(metric=metric, expected_direction=Direction.HIGHER)
            )
    strategy.drivers.append(StrategyDriver(driver=driver))
    channel = db.session.scalar(select(Channel).where(Channel.code == channel_code))
    stage = db.session.scalar(select(JourneyStage).where(JourneyStage.code == stage_code))
    if channel is not None and stage is not None:
        strategy.touchpoints.append(StrategyTouchpoint(channel=channel, stage=stage))
    for i, milestone in enumerate(milestones):
        due = strategy.start_date + timedelta(days=90 * (i + 1)) if strategy.start_date else None
        is_done = i == 0 or status == StrategyStatus.DONE  # a finished strategy has no open steps
        strategy.milestones.append(Milestone(title=milestone, due_date=due, is_done=is_done))
    strategy.updates.append(
        StrategyUpdate(
            status=status, progress=strategy.progress, commentary="Kick-off: scope agreed."
        )
    )
    return strategy
