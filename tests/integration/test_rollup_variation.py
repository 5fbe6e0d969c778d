"""Variation and assurance (SPEC 4.9), how unusual an effect is (SPEC 4.7) and the readable
parts of the rollup document, on the real A-11 data, checked against a computation written
here in plain loops from the CSV (none of the application's code)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from cxprogram.auth.tokens import create_token
from cxprogram.models import ReportingPeriod, RollupSnapshot
from cxprogram.org.models import Department
from tests.integration.test_rollup import NOW, QUESTIONS, Scores, _by_period, _index, rolled

__all__ = ["rolled"]  # the fixture, shared with test_rollup


def _label(quarter: int) -> str:
    return f"FY{quarter // 4}-Q{quarter % 4 + 1}"


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def _rule(values: list[float]) -> tuple[str | None, str | None, float, float, float]:
    """The first rule of SPEC 4.9 that holds on the last value, its side, and the centre
    and process limits of the values before it."""
    base = values[:-1]
    c = _mean(base)
    mr = _mean([abs(base[i] - base[i - 1]) for i in range(1, len(base))])
    lpl, upl = c - 2.66 * mr, c + 2.66 * mr
    up, down = c + 2 / 3 * 2.66 * mr, c - 2 / 3 * 2.66 * mr
    run, last = values[-7:], values[-1]
    checks = []
    if len(values) >= 7:
        checks += [
            ("trend", "high", all(run[i] < run[i + 1] for i in range(6))),
            ("trend", "low", all(run[i] > run[i + 1] for i in range(6))),
            ("shift", "high", all(v > c for v in run)),
            ("shift", "low", all(v < c for v in run)),
        ]
    checks += [
        ("two of three", "high", last > up and (values[-2] > up or values[-3] > up)),
        ("two of three", "low", last < down and (values[-2] < down or values[-3] < down)),
        ("outside", "high", last > upl),
        ("outside", "low", last < lpl),
    ]
    for rule, side, holds in checks:
        if holds:
            return rule, side, c, lpl, upl
    return None, None, c, lpl, upl


def _check_variation(
    values: list[float], got: dict[str, Any], higher: bool, target: float | None
) -> str | None:
    """The document's variation object against the rules recomputed; returns the rule."""
    assert got["baseline_points"] == len(values) - 1
    if len(values) - 1 < 4:
        assert [got[k] for k in ("variation", "rule", "side", "assurance", "center")] == [None] * 5
        return None
    rule, side, c, lpl, upl = _rule(values)
    assert (got["rule"], got["side"]) == (rule, side)
    better = "high" if higher else "low"
    expected = "common cause" if side is None else "improvement" if side == better else "concern"
    assert got["variation"] == expected
    for key, value in (("center", c), ("lpl", lpl), ("upl", upl)):
        assert got[key] == pytest.approx(value, abs=1e-9), key
    if target is None:
        assert got["assurance"] is None
    elif higher:
        assert got["assurance"] == ("pass" if target <= lpl else "fail" if target >= upl
                                    else "hit or miss")  # fmt: skip
    else:
        assert got["assurance"] == ("pass" if target >= upl else "fail" if target <= lpl
                                    else "hit or miss")  # fmt: skip
    return rule


def _org_series(series: dict[int, Scores]) -> dict[int, float]:
    out = {}
    for quarter in sorted(q for q in series if q <= NOW):
        total = sum(n for _, n in series[quarter].values())
        out[quarter] = sum(s * n / total for s, n in series[quarter].values())
    return out


@pytest.mark.parametrize("metric", sorted(QUESTIONS))
def test_variation_agrees_with_independent_computation(rolled: dict[str, Any], metric: str) -> None:
    series, block = _by_period(metric), rolled["metrics"][metric]
    axis = [_index(label) for label in rolled["periods"]]
    assert axis[-1] == NOW and axis == list(range(axis[0], NOW + 1)) and len(axis) <= 12
    higher, target = block["higher_is_better"], block["target"]
    org = _org_series(series)
    _check_variation(list(org.values()), block["variation"], higher, target)
    for got, quarter in zip(block["variation"]["values"], axis, strict=True):
        assert got == (pytest.approx(org[quarter], abs=1e-9) if quarter in org else None)
    rules = set()
    for dept in series[NOW]:
        values = [series[q][dept][0] for q in sorted(series) if q <= NOW and dept in series[q]]
        got = block["departments"][dept]["variation"]
        rules.add(_check_variation(values, got, higher, target))
        expected = [series[q][dept][0] if dept in series.get(q, {}) else None for q in axis]
        assert got["values"] == [pytest.approx(v, abs=1e-9) if v is not None else None
                                 for v in expected]  # fmt: skip
    assert len(rules) > 1  # the data gives more than one outcome: the check can fail


def test_some_department_shows_a_special_cause(rolled: dict[str, Any]) -> None:
    found = {
        (d["variation"]["rule"], d["variation"]["variation"])
        for block in rolled["metrics"].values()
        for d in block["departments"].values()
    }
    assert {rule for rule, _ in found} - {None}, found
    assert {"improvement", "concern"} & {word for _, word in found}


def test_unusual_agrees_with_independent_computation(rolled: dict[str, Any]) -> None:
    effects = rolled["strategy_effects"]
    seen = set()
    for effect in effects:
        series = _by_period(effect["metric"])
        dept, start = effect["department"], _index(effect["effective_period"])
        pre = [p for p in range(start - 2, start) if dept in series.get(p, {})]
        post = [p for p in range(start, min(start + 2, NOW + 1)) if dept in series.get(p, {})]
        assert (effect["pre_periods"], effect["post_periods"]) == (len(pre), len(post))
        if effect["status"] != "estimated":
            assert (effect["compared_departments"], effect["unusual"]) == (0, None)
            continue

        def control(periods: list[int], dept: str = dept, series: Any = series) -> float:
            means = []
            for p in periods:
                others = [s for d, (s, _) in series[p].items() if d != dept]
                if others:
                    means.append(_mean(others))
            return _mean(means)

        control_change = control(post) - control(pre)
        own = _mean([series[p][dept][0] for p in post]) - _mean([series[p][dept][0] for p in pre])
        size = abs(own - control_change)
        placebos = []
        others = {e for p in pre + post for e in series[p] if e != dept}
        for other in sorted(others):
            before = [series[p][other][0] for p in pre if other in series[p]]
            after = [series[p][other][0] for p in post if other in series[p]]
            if before and after:
                placebos.append(abs(_mean(after) - _mean(before) - control_change))
        assert effect["compared_departments"] == len(placebos)
        if len(placebos) < 5:
            assert effect["unusual"] is None
            continue
        expected = 100 * sum(1 for p in placebos if p < size) / len(placebos)
        assert effect["unusual"] == pytest.approx(expected, abs=1e-9)
        seen.add(round(expected))
    assert len(seen) > 1  # several different answers were checked


def test_consistency_coverage(rolled: dict[str, Any]) -> None:
    coverage = rolled["consistency_coverage"]
    counted = [m for m, b in rolled["metrics"].items() if b["counted_in_index"]]
    assert sorted(coverage["metrics"]) == sorted(counted) == sorted(QUESTIONS)
    assert coverage["count"] == 7 and coverage["of"] >= 7
    for code, block in rolled["metrics"].items():
        assert block["counted_in_index"] == (
            block["is_standard"] and block["tolerance"] is not None and block["n_departments"] >= 3
        ), code


def test_document_names_what_it_mentions(rolled: dict[str, Any], db_session: Any) -> None:
    departments = rolled["departments"]
    codes = {e["department"] for e in rolled["strategy_effects"]}
    for block in rolled["metrics"].values():
        codes |= set(block["departments"]) | set(block["decomposition"]["departments"])
    assert set(departments) == codes
    stored = {d.code: d for d in db_session.scalars(select(Department))}
    for code, entry in departments.items():
        parent = stored[code].parent
        assert entry == {"name": stored[code].name, "parent": parent.code if parent else None,
                         "short_name": stored[code].short_name}  # fmt: skip
    sat = rolled["metrics"]["satisfaction"]
    assert isinstance(sat["name"], str) and sat["name"] and "unit" in sat
    for effect in rolled["strategy_effects"]:
        assert (
            effect["title"]
            and effect["department_name"] == departments[effect["department"]]["name"]
        )


def test_a_rename_shows_at_once_without_a_new_snapshot(
    rolled: dict[str, Any], client: Any, make_user: Any, db_session: Any
) -> None:
    code = next(iter(rolled["departments"]))
    count = db_session.scalar(select(RollupSnapshot.id).order_by(RollupSnapshot.id.desc()))
    db_session.execute(update(Department).where(Department.code == code).values(name="Renamed"))
    db_session.flush()
    token = create_token(make_user("chief"))
    answer = client.get("/api/v1/rollups/latest", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["period"] == "FY2023-Q1"  # the demo's latest period with a snapshot
    assert body["departments"][code]["name"] == "Renamed"
    assert body["snapshot"] == rolled["snapshot"]
    assert db_session.scalar(select(RollupSnapshot.id).order_by(RollupSnapshot.id.desc())) == count


def test_a_snapshot_stored_before_variation_still_reads(
    rolled: dict[str, Any], client: Any, make_user: Any, db_session: Any
) -> None:
    period = db_session.scalar(select(ReportingPeriod).where(ReportingPeriod.label == "FY2023-Q1"))
    snapshot = db_session.scalars(
        select(RollupSnapshot).where(RollupSnapshot.period_id == period.id)
    ).first()
    old = dict(snapshot.result, layout="columns")
    for key in ("periods", "consistency_coverage"):
        old.pop(key)
    old["metrics"] = {
        code: {**{k: v for k, v in block.items() if k not in ("variation", "counted_in_index")},
               "departments": {k: v for k, v in block["departments"].items() if k != "variation"}}
        for code, block in old["metrics"].items()
    }  # fmt: skip
    old["strategy_effects"] = [
        {k: v for k, v in e.items() if k not in ("compared_departments", "unusual")}
        for e in old["strategy_effects"]
    ]
    snapshot.result = old
    db_session.flush()
    token = create_token(make_user("chief"))
    answer = client.get("/api/v1/rollups/FY2023-Q1", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    sat = body["metrics"]["satisfaction"]
    assert sat["variation"] is None and sat["departments"]["SBA"]["variation"] is None
    assert body["periods"] == [] and body["consistency_coverage"] is None
    assert sat["org_score"] == rolled["metrics"]["satisfaction"]["org_score"]


def test_latest_without_any_snapshot_is_404_json(client: Any, make_user: Any) -> None:
    token = create_token(make_user("chief"))
    answer = client.get("/api/v1/rollups/latest", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 404
    assert "No rollup of any period yet" in answer.get_json()["errors"][0]["reason"]
