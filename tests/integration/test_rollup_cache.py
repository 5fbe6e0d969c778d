"""The per-period aggregate cache of the rollup: a snapshot changes exactly when one of its
inputs does (earlier periods included), and deactivated departments drop out of open
periods' rollups while closed periods keep their history."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import delete, func, select, text, update

from cxprogram.core.fiscal import FiscalQuarter
from cxprogram.metrics.models import Observation, PeriodState, ReportingPeriod, Weighting
from cxprogram.org.models import Department
from cxprogram.rollup.compose import expand_rollup
from cxprogram.rollup.models import RollupPeriodAggregates, RollupSnapshot
from cxprogram.rollup.queries import cached_fingerprints, period_fingerprints
from cxprogram.rollup.services import (
    RollupOutcome,
    clear_aggregates,
    refresh_aggregates,
    run_rollup,
)
from cxprogram.rollup.triggers import TRIGGER_NAMES

NOW = datetime(2031, 1, 1, tzinfo=UTC)
CODES = ("AAA", "BBB", "CCC", "DDD")


@pytest.fixture
def org(
    make_settings: Any,
    make_metrics: Any,
    make_department: Any,
    make_period: Any,
    make_observation: Any,
) -> dict[str, Any]:
    """Four departments, two survey metrics, six open quarters with random observations."""
    rng = random.Random(11)
    make_settings("Cache test")
    metrics = list(make_metrics("satisfaction", "trust").values())
    depts = [make_department(code) for code in CODES]
    periods = [make_period(FiscalQuarter(2031, 1).shift(k)) for k in range(6)]
    for period in periods:
        for dept in depts:
            for metric in metrics:
                for key in ("a", "b"):
                    value, n = rng.uniform(2, 5), float(rng.randint(10, 500))
                    make_observation(dept, metric, period, value, import_key=key, n=n)
    return {"depts": depts, "metrics": metrics, "periods": periods}


def _roll(period: ReportingPeriod) -> RollupOutcome:
    return run_rollup(period, NOW)


def _metrics(snapshot: RollupSnapshot) -> dict[str, Any]:
    """The stored result's metric blocks in the shape of SPEC 6."""
    return expand_rollup(snapshot.result)["metrics"]  # type: ignore[no-any-return]


def _count(db_session: Any, period: ReportingPeriod) -> int:
    query = select(func.count(RollupSnapshot.id)).where(RollupSnapshot.period_id == period.id)
    return int(db_session.scalar(query))


def _uncached(db_session: Any, period: ReportingPeriod) -> dict[str, Any]:
    """The period's rollup computed again with the cache emptied (the reference)."""
    db_session.execute(delete(RollupPeriodAggregates))
    db_session.execute(delete(RollupSnapshot).where(RollupSnapshot.period_id == period.id))
    return _roll(period).snapshot.result


def _first_obs(db_session: Any, period: ReportingPeriod, dept: Department) -> Observation:
    return db_session.scalars(
        select(Observation)
        .where(Observation.period_id == period.id, Observation.department_id == dept.id)
        .order_by(Observation.id)
    ).first()


def test_unchanged_inputs_store_no_new_version(db_session: Any, org: dict[str, Any]) -> None:
    last = org["periods"][-1]
    first = _roll(last)
    assert first.is_new and first.snapshot.version == 1
    again = _roll(last)
    assert not again.is_new and again.snapshot.id == first.snapshot.id
    assert _count(db_session, last) == 1


@pytest.mark.parametrize("change", ["edit", "insert", "delete"])
def test_a_change_in_an_earlier_period_changes_the_later_snapshot(
    db_session: Any, org: dict[str, Any], change: str
) -> None:
    early, last = org["periods"][0], org["periods"][-1]
    dept = org["depts"][1]
    before = _roll(last).snapshot
    old_hash, old_trend = before.inputs_hash, _metrics(before)["satisfaction"]
    obs = _first_obs(db_session, early, dept)
    if change == "edit":
        obs.value += 0.75
    elif change == "insert":
        db_session.add(
            Observation(department=dept, metric=obs.metric, period=early, import_key="new",
                        value=1.0, n=900.0)
        )  # fmt: skip
    else:
        db_session.delete(obs)
    db_session.flush()
    after = _roll(last)
    assert after.is_new and after.snapshot.version == 2
    assert after.snapshot.inputs_hash != old_hash
    # the trend of the department looks back on the changed period
    trend = _metrics(after.snapshot)["satisfaction"]["departments"][dept.code]["trend"]
    assert trend["center"] != old_trend["departments"][dept.code]["trend"]["center"]
    assert after.snapshot.result == _uncached(db_session, last)


def _raw_update(db_session: Any, obs: Observation) -> None:
    """Change a value behind the ORM's back: no version bump, no updated_at."""
    db_session.execute(
        text("UPDATE observations SET value = value + 0.5 WHERE id = :id"), {"id": obs.id}
    )


def test_a_raw_sql_edit_is_seen_too(db_session: Any, org: dict[str, Any]) -> None:
    early, last = org["periods"][1], org["periods"][-1]
    before = _roll(last).snapshot.inputs_hash
    _raw_update(db_session, _first_obs(db_session, early, org["depts"][0]))
    after = _roll(last)
    assert after.is_new and after.snapshot.inputs_hash != before
    assert after.snapshot.result == _uncached(db_session, last)


def test_without_the_triggers_every_period_is_aggregated_again(
    db_session: Any, org: dict[str, Any]
) -> None:
    early, last = org["periods"][1], org["periods"][-1]
    before = _roll(last).snapshot.inputs_hash
    on_table = " ON observations" if db_session.get_bind().dialect.name == "postgresql" else ""
    for name in TRIGGER_NAMES:
        db_session.execute(text(f"DROP TRIGGER {name}{on_table}"))
    assert set(period_fingerprints([early.id, last.id]).values()) == {None}
    assert not _roll(last).is_new  # nothing changed: still the same inputs
    _raw_update(db_session, _first_obs(db_session, early, org["depts"][0]))
    after = _roll(last)
    assert after.is_new and after.snapshot.inputs_hash != before
    assert after.snapshot.result == _uncached(db_session, last)


def test_every_observation_write_makes_its_period_stale(
    db_session: Any, org: dict[str, Any]
) -> None:
    period, other = org["periods"][2], org["periods"][3]
    ids, dept = [period.id, other.id], org["depts"][0]
    obs = _first_obs(db_session, period, dept)

    def stale_after(write: Any) -> bool:
        refresh_aggregates(ids, NOW)  # the cache has read both periods
        assert refresh_aggregates(ids, NOW) == 0  # and nothing changed since
        write()
        db_session.flush()
        live, cached = period_fingerprints(ids), cached_fingerprints(ids)
        assert live[other.id] == cached[other.id]  # the other period stays fresh
        return live[period.id] != cached[period.id]

    def edit() -> None:
        obs.value += 0.5

    def insert() -> None:
        db_session.add(Observation(department=dept, metric=obs.metric, period=period,
                                   import_key="x", value=3.0, n=5.0))  # fmt: skip

    assert stale_after(edit) and stale_after(insert)
    assert stale_after(lambda: db_session.delete(obs))
    assert stale_after(lambda: _raw_update(db_session, _first_obs(db_session, period, dept)))
    # two writes in a row: still stale after the second
    _raw_update(db_session, _first_obs(db_session, period, dept))
    assert refresh_aggregates(ids, NOW) == 1


def test_other_inputs_change_the_hash(db_session: Any, org: dict[str, Any]) -> None:
    last = org["periods"][-1]
    hashes = [_roll(last).snapshot.inputs_hash]
    org["metrics"][0].target = 4.5
    db_session.flush()
    hashes.append(_roll(last).snapshot.inputs_hash)
    org["metrics"][0].tolerance = 0.1
    db_session.flush()
    hashes.append(_roll(last).snapshot.inputs_hash)
    org["depts"][2].code = "CCX"
    db_session.flush()
    outcome = _roll(last)
    hashes.append(outcome.snapshot.inputs_hash)
    assert "CCX" in _metrics(outcome.snapshot)["satisfaction"]["departments"]
    assert len(set(hashes)) == 4 and outcome.snapshot.version == 4


def test_deactivated_department_drops_out_of_open_periods_only(
    db_session: Any, org: dict[str, Any]
) -> None:
    periods, gone = org["periods"], org["depts"][3]
    closed, reclosed, open_ = periods[3], periods[4], periods[5]
    closed.state = PeriodState.CLOSED
    db_session.flush()
    final = _roll(closed).snapshot
    assert final.is_final and gone.code in _metrics(final)["satisfaction"]["departments"]
    gone.is_active = False
    db_session.flush()
    # the closed period's final snapshot is kept as it was
    kept = _roll(closed)
    assert not kept.is_new and kept.snapshot.id == final.id
    # a closed period rolled up for the first time after the deactivation keeps its history
    reclosed.state = PeriodState.CLOSED
    db_session.flush()
    assert gone.code in _metrics(_roll(reclosed).snapshot)["satisfaction"]["departments"]
    # the open period leaves the department out, in its own period and its look-back
    block = _metrics(_roll(open_).snapshot)["satisfaction"]
    assert gone.code not in block["departments"] and block["n_departments"] == 3
    assert gone.code not in block["decomposition"]["departments"]
    weights = [d["weight"] for d in block["departments"].values()]
    assert sum(weights) == pytest.approx(1.0, abs=1e-12)
    # reactivating brings it back: a new version again
    gone.is_active = True
    db_session.flush()
    back = _roll(open_)
    assert back.is_new and gone.code in _metrics(back.snapshot)["satisfaction"]["departments"]


def test_deactivation_changes_the_open_snapshot_and_matches_an_uncached_run(
    db_session: Any, org: dict[str, Any]
) -> None:
    last = org["periods"][-1]
    first = _roll(last).snapshot
    org["depts"][0].is_active = False
    db_session.flush()
    second = _roll(last)
    assert second.is_new and second.snapshot.inputs_hash != first.inputs_hash
    assert second.snapshot.result == _uncached(db_session, last)


def test_cached_rollup_equals_an_uncached_one_after_many_writes(
    db_session: Any, org: dict[str, Any]
) -> None:
    rng = random.Random(5)
    periods = org["periods"]
    for period in periods:
        _roll(period)
    for _ in range(6):
        period = rng.choice(periods)
        obs = _first_obs(db_session, period, rng.choice(org["depts"]))
        obs.value, obs.n = rng.uniform(1, 5), rng.choice([None, 0.0, float(rng.randint(1, 99))])
        db_session.flush()
    last = periods[-1]
    assert _roll(last).snapshot.result == _uncached(db_session, last)


def test_rebuilding_the_cache_changes_nothing(
    runner: Any, db_session: Any, org: dict[str, Any]
) -> None:
    label = org["periods"][-1].label
    assert "v1 (new)" in runner.invoke(args=["rollup", "--period", label]).output
    result = runner.invoke(args=["rollup", "--period", label, "--rebuild-cache"])
    assert result.exit_code == 0, result.output
    assert "cleared the cached aggregates of 6 period(s)" in result.output
    assert "v1 (unchanged)" in result.output
    assert db_session.scalar(select(func.count(RollupPeriodAggregates.period_id))) == 6


def test_a_department_without_data_changes_nothing(
    db_session: Any, org: dict[str, Any], make_department: Any
) -> None:
    """SPEC 4: only departments with data count (D, weights, shares, controls), so a new
    department that has reported nothing leaves every figure as it was. Equal weighting is
    where a stray department would show first (1/D), so both metrics use it here."""
    for metric in org["metrics"]:
        metric.weighting = Weighting.EQUAL
    last = org["periods"][-1]
    before = _roll(last).snapshot
    make_department("NEW")
    after = _roll(last).snapshot
    assert after.version == before.version + 1  # the departments are inputs too
    assert _metrics(after) == _metrics(before)
    assert {block["weighting"] for block in _metrics(after).values()} == {"equal"}
    assert (
        expand_rollup(after.result)["strategy_effects"]
        == expand_rollup(before.result)["strategy_effects"]
    )
    assert "NEW" not in str(after.result)


def test_a_record_of_the_older_format_gives_the_same_rollup_and_is_aggregated_again(
    db_session: Any, org: dict[str, Any]
) -> None:
    """Records stored before the organization scores (CXA1) are still read: the rollup sums
    every period itself, to the same bits; rebuilding the cache (`cxprogram rollup
    --rebuild-cache`) writes them in the new format."""
    from cxprogram.rollup.cache import pack
    from cxprogram.rollup.compose import compose_rollup
    from cxprogram.rollup.queries import forget_decoded, load_inputs, period_aggregate_rows

    periods, last = org["periods"], org["periods"][-1]
    cached = _roll(last).snapshot.result
    for period in periods:
        data, _ = pack(period_aggregate_rows(period.id))  # without organization scores
        db_session.execute(
            update(RollupPeriodAggregates)
            .where(RollupPeriodAggregates.period_id == period.id)
            .values(data=b"CXA1" + data[4:])
        )
    forget_decoded()  # the records changed behind the one writer, which keys the memo
    inputs = load_inputs(last)
    assert {c.org_score for by in inputs.scores.values() for c in by.values()} == {None}
    assert compose_rollup(inputs) == cached
    ids = [p.id for p in periods]
    assert refresh_aggregates(ids, NOW) == 0  # the observations did not change
    assert clear_aggregates() == len(ids)
    assert refresh_aggregates(ids, NOW) == len(ids)
    again = load_inputs(last)
    assert None not in {c.org_score for by in again.scores.values() for c in by.values()}
    assert compose_rollup(again) == cached
