"""Reads behind the plan pages: the plan's period, state, lock and reds, the review queue,
the department's scores against targets, and its strategies as they stood at a moment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, TypeVar

from sqlalchemy import Select, func, or_, select

from cxprogram.auth.models import Role, User
from cxprogram.core.models import AuditEvent, utcnow
from cxprogram.core.permissions import limit_to_readable
from cxprogram.extensions import db
from cxprogram.metrics.models import Direction, MetricDefinition, Observation, ReportingPeriod
from cxprogram.metrics.queries import latest_open_period
from cxprogram.metrics.reds import department_reds, unexplained_reds
from cxprogram.org.models import Department, Service, service_channels, service_journey_stages
from cxprogram.review.calc import Change, PlanStrategy, StrategyRef, compute_state_at
from cxprogram.review.models import PlanReview, ReviewState
from cxprogram.rollup.calc import DepartmentAggregate, compute_department_score, compute_status
from cxprogram.rollup.queries import aggregate_query
from cxprogram.strategies.models import Milestone, Strategy, StrategyStatus, StrategyTouchpoint

Q = TypeVar("Q", bound=Select[Any])


def current_period() -> ReportingPeriod | None:
    """The period whose plan is being worked on: the latest open one, else the latest one."""
    latest_open = latest_open_period()
    if latest_open is not None:
        return latest_open
    return db.session.scalar(
        select(ReportingPeriod).order_by(ReportingPeriod.end_date.desc()).limit(1)
    )


def plan_review(department_id: int, period_id: int) -> PlanReview | None:
    """The stored review of a department's plan for a period (None means draft)."""
    return db.session.scalar(
        select(PlanReview).where(
            PlanReview.department_id == department_id, PlanReview.period_id == period_id
        )
    )


def plan_state(department_id: int, period_id: int) -> ReviewState:
    """draft, submitted, approved or changes requested."""
    review = plan_review(department_id, period_id)
    return review.state if review is not None else ReviewState.DRAFT


def plan_lock_reason(department: Department, period: ReportingPeriod) -> str | None:
    """Why officers may not change this department's plan for this period, or None."""
    if period.is_closed:
        return f"Period {period.label} is closed: {department.code}'s plan for it is locked."
    if plan_state(department.id, period.id) == ReviewState.SUBMITTED:
        return (
            f"{department.code}'s plan for {period.label} is submitted for review: its "
            "strategies are read-only until the chief approves it or asks for changes."
        )
    return None


def strategy_lock_reason(user: User, department: Department) -> str | None:
    """Why this user may not change the department's strategies now (officers only)."""
    if user.role != Role.OFFICER:
        return None
    period = current_period()
    return plan_lock_reason(department, period) if period is not None else None


def unexplained_red_metrics(department_id: int, period_id: int) -> list[str]:
    """Names of metrics whose department score is red with no explanation note (SPEC 4.5)."""
    return sorted(red.metric for red in unexplained_reds(period_id, [department_id]))


def plan_strategies_query(department_id: int, period: ReportingPeriod) -> Select[tuple[Strategy]]:
    """The department's strategies in the period's plan: started by its end, and either
    not ended before it or still open (not done, not cancelled)."""
    is_open = Strategy.status.not_in([StrategyStatus.DONE, StrategyStatus.CANCELLED])
    return (
        select(Strategy)
        .where(Strategy.department_id == department_id)
        .where(or_(Strategy.start_date.is_(None), Strategy.start_date <= period.end_date))
        .where(or_(Strategy.end_date.is_(None), Strategy.end_date >= period.start_date, is_open))
        .order_by(Strategy.title, Strategy.id)
    )


def plan_events_query(department_id: int, period_label: str) -> Select[tuple[AuditEvent]]:
    """Audit events of a department's plan review for one period, newest first."""
    return (
        select(AuditEvent)
        .where(AuditEvent.entity_type == "plan_review")
        .where(AuditEvent.department_id == department_id)
        .where(AuditEvent.period_label == period_label)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    )


def periods_query() -> Select[tuple[ReportingPeriod]]:
    """Every reporting period, latest first (the period picker)."""
    return select(ReportingPeriod).order_by(ReportingPeriod.start_date.desc())


def queue_query(period_id: int, reader: User) -> Select[tuple[PlanReview, Department]]:
    """The submitted plans of a period that the reader reads, oldest submission first."""
    query = (
        select(PlanReview, Department)
        .join(Department, Department.id == PlanReview.department_id)
        .where(PlanReview.period_id == period_id, PlanReview.state == ReviewState.SUBMITTED)
        .order_by(PlanReview.submitted_at, PlanReview.id)
    )
    return limit_to_readable(query, PlanReview.department_id, reader)


def state_counts(period_id: int, reader: User) -> dict[str, int]:
    """How many of the reader's active departments' plans stand in each state (draft when
    no review row exists)."""
    departments = limit_to_readable(
        select(Department.id).where(Department.is_active.is_(True)), Department.id, reader
    )
    ids = list(db.session.scalars(departments))
    rows = db.session.execute(
        select(PlanReview.state, func.count(PlanReview.id))
        .where(PlanReview.period_id == period_id, PlanReview.department_id.in_(ids))
        .group_by(PlanReview.state)
    )
    counts = {ReviewState(state).value: int(n) for state, n in rows.tuples()}
    counts[ReviewState.DRAFT.value] = len(ids) - sum(
        n for s, n in counts.items() if s != ReviewState.DRAFT.value
    )
    return {s.value: counts.get(s.value, 0) for s in ReviewState}


def user_names(ids: set[int]) -> dict[int, str]:
    """Names of these users by id (who submitted, who decided)."""
    rows = db.session.execute(select(User.id, User.name).where(User.id.in_(sorted(ids))))
    return dict(rows.tuples().all())


@dataclass(frozen=True)
class MetricScore:
    """A department's score on one metric in one period against the metric's target."""

    metric_id: int
    code: str
    name: str
    unit: str
    score: float
    n: float
    observations: int
    target: float | None
    tolerance: float | None
    higher_is_better: bool
    status: str | None


def department_scores(period_id: int, department_id: int) -> list[MetricScore]:
    """The department's SPEC 4.1 score on every metric it reported in the period, with the
    status of SPEC 4.5 (the rollup's own aggregate query, as the reds use)."""
    o = Observation.__table__.c
    rows = db.session.execute(
        aggregate_query().where(o.department_id == department_id),
        {"period_id": period_id},
    ).all()
    metrics = {
        m.id: m
        for m in db.session.scalars(
            select(MetricDefinition).where(MetricDefinition.id.in_([r[0] for r in rows]))
        )
    }
    scores = [_score(metrics[row[0]], row) for row in rows if row[0] in metrics]
    return sorted(scores, key=lambda s: (s.status != "red", s.name))


def _score(metric: MetricDefinition, row: Any) -> MetricScore:
    _, dept, wsum, wtotal, plain, count = row
    aggregate = DepartmentAggregate(str(dept), float(wsum), float(wtotal), float(plain), count)
    score = compute_department_score(aggregate, metric.aggregation.value)
    higher = metric.direction == Direction.HIGHER
    return MetricScore(
        metric.id, metric.code, metric.name, metric.unit.value, score.score, score.n, count,
        metric.target, metric.tolerance, higher,
        compute_status(score.score, metric.target, metric.tolerance, higher),
    )  # fmt: skip


@dataclass(frozen=True)
class RedExplained:
    """A red department score and the officer's notes that explain it (none: unexplained)."""

    metric: str
    score: float
    target: float
    notes: list[str]


def reds_with_notes(period_id: int, department_id: int) -> list[RedExplained]:
    """The department's red scores of the period with the explanation notes behind them."""
    reds = department_reds(period_id, [department_id])
    rows = db.session.execute(
        select(Observation.metric_id, Observation.note)
        .where(Observation.period_id == period_id, Observation.department_id == department_id)
        .where(Observation.metric_id.in_([r.metric_id for r in reds]), Observation.note != "")
        .order_by(Observation.metric_id, Observation.id)
    )
    notes: dict[int, list[str]] = {}
    for metric_id, note in rows.tuples():
        if note not in notes.setdefault(metric_id, []):
            notes[metric_id].append(note)
    return [RedExplained(r.metric, r.score, r.target, notes.get(r.metric_id, [])) for r in reds]


@dataclass(frozen=True)
class PlanStrategies:
    """The strategies a plan page shows, and as of when: "submitted" (the snapshot kept at
    the last submission), "period end" (rebuilt from the audit log) or "now"."""

    rows: list[PlanStrategy]
    source: str
    as_of: datetime | None


def plan_strategies(
    department: Department, period: ReportingPeriod, review: PlanReview | None, now: datetime
) -> PlanStrategies:
    """A submitted or approved plan shows its strategies as submitted; a closed period's
    other plans show them as they stood at the period's end; an open period's, as now."""
    if review is not None and review.strategies_snapshot is not None and review.state in (
        ReviewState.SUBMITTED, ReviewState.APPROVED,
    ):  # fmt: skip
        rows = [PlanStrategy.from_json(s) for s in review.strategies_snapshot]
        return PlanStrategies(rows, "submitted", review.submitted_at)
    strategies = list(db.session.scalars(plan_strategies_query(department.id, period)))
    if not period.is_closed:
        return PlanStrategies([strategy_at(s, None) for s in strategies], "now", now)
    end = datetime.combine(period.end_date, time.max, tzinfo=UTC)
    moment = min(end, now)
    return PlanStrategies([strategy_at(s, moment) for s in strategies], "period end", moment)


def strategy_at(strategy: Strategy, moment: datetime | None) -> PlanStrategy:
    """A strategy as it stood at `moment` (None: now): its fields from the audit log, its
    milestones by the time they were done, its latest progress note written by then."""
    day = (moment or utcnow()).date()
    state: dict[str, Any] = {"title": strategy.title, "status": strategy.status.value,
             "progress": strategy.progress, "start_date": _iso(strategy.start_date),
             "effective_date": _iso(strategy.effective_date),
             "end_date": _iso(strategy.end_date)}  # fmt: skip
    if moment is not None:
        state = compute_state_at(state, _changes(strategy.id), moment)
    done = [m for m in strategy.milestones if _done_by(m, moment)]
    late = [m for m in strategy.milestones
            if m.due_date is not None and m.due_date < day and m not in done]  # fmt: skip
    updates = [u for u in strategy.updates if moment is None or u.created_at <= moment]
    latest = max(updates, key=lambda u: (u.created_at, u.id), default=None)
    return PlanStrategy(
        id=strategy.id, title=str(state["title"]), status=str(state["status"]),
        progress=int(state["progress"]), start_date=state["start_date"],
        effective_date=state["effective_date"], end_date=state["end_date"],
        milestones_done=len(done), milestones_total=len(strategy.milestones),
        milestones_late=len(late),
        latest_update_on=latest.created_at.date().isoformat() if latest else None,
        latest_update=latest.commentary if latest else "",
        touchpoints=sorted(f"{t.channel.name} at {t.stage.name}" for t in strategy.touchpoints),
    )  # fmt: skip


def _done_by(milestone: Milestone, moment: datetime | None) -> bool:
    if not milestone.is_done:
        return False
    if moment is None:
        return True
    if milestone.done_on is not None:  # the real completion date, whenever it was recorded
        return milestone.done_on <= moment.date()
    return milestone.done_at is None or milestone.done_at <= moment


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _changes(strategy_id: int) -> list[Change]:
    """The strategy's audit events in time order, as the pure reconstruction reads them."""
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_type == "strategy", AuditEvent.entity_id == str(strategy_id))
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    )
    return [Change(e.occurred_at, e.before, e.after) for e in events]


@dataclass(frozen=True)
class CoverageFilter:
    """What the coverage matrix is narrowed to; None means any."""

    department_id: int | None = None
    channel_id: int | None = None
    stage_id: int | None = None


def coverage_targets(filters: CoverageFilter, reader: User) -> list[tuple[int, int, StrategyRef]]:
    """(stage, channel, strategy) for every touchpoint an active strategy targets, among
    the departments the reader reads in full."""
    t = StrategyTouchpoint
    query = (
        select(t.stage_id, t.channel_id, Strategy.id, Strategy.title, Department.code,
               Strategy.status)
        .join(Strategy, Strategy.id == t.strategy_id)
        .join(Department, Department.id == Strategy.department_id)
        .where(Strategy.status.not_in([StrategyStatus.DONE, StrategyStatus.CANCELLED]))
        .where(Department.is_active.is_(True))
    )  # fmt: skip
    query = _narrow(limit_to_readable(query, Strategy.department_id, reader), filters,
                    Strategy.department_id, t.channel_id, t.stage_id)  # fmt: skip
    return [
        (stage, channel, StrategyRef(sid, title, code, StrategyStatus(status).value))
        for stage, channel, sid, title, code, status in db.session.execute(query).tuples()
    ]


def coverage_services(filters: CoverageFilter, reader: User) -> list[tuple[int | None, int, str]]:
    """(journey stage or None, channel, department code) for every active service at each
    channel it is offered through and each stage it serves (None: no stage recorded)."""
    channels, stages = service_channels.c, service_journey_stages.c
    query = (
        select(stages.stage_id, channels.channel_id, Department.code)
        .select_from(Service)
        .join(service_channels, channels.service_id == Service.id)
        .outerjoin(service_journey_stages, stages.service_id == Service.id)
        .join(Department, Department.id == Service.department_id)
        .where(Service.is_active.is_(True), Department.is_active.is_(True))
    )
    query = limit_to_readable(query, Service.department_id, reader)
    query = _narrow(query, filters, Service.department_id, channels.channel_id, None)
    if filters.stage_id is not None:  # services with no stage recorded stay: they may be there
        query = query.where(or_(stages.stage_id == filters.stage_id, stages.stage_id.is_(None)))
    return list(db.session.execute(query).tuples())


def _narrow(query: Q, filters: CoverageFilter, department: Any, channel: Any, stage: Any) -> Q:
    if filters.department_id is not None:
        query = query.where(department == filters.department_id)
    if filters.channel_id is not None:
        query = query.where(channel == filters.channel_id)
    if filters.stage_id is not None and stage is not None:
        query = query.where(stage == filters.stage_id)
    return query
