"""Service standards (SPEC 3, 4.5): a standard's own target decides the status of its
observations (grid, reds, rollup) and standards_met; standards_met, its organization figure
and its decomposition checked against a computation written here from the constructed data
(plain loops, none of the application's code)."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from cxprogram.admin import standards as standard_services
from cxprogram.admin.standards import StandardData, StandardError
from cxprogram.metrics.models import Observation, Source
from cxprogram.metrics.observation_payload import ObservationPayload, ObservationRow
from cxprogram.metrics.observation_writes import StandardRefusedError, write_observations
from cxprogram.metrics.queries import grid_rows
from cxprogram.metrics.reds import department_reds
from cxprogram.org.models import Service, ServiceStandard
from cxprogram.rollup.document import snapshot_document
from cxprogram.rollup.services import run_rollup

NOW = datetime(2024, 6, 1, tzinfo=UTC)
PERIODS = ("FY2024-Q1", "FY2024-Q2")
TOL = 1e-9


def _standard(service: Service, code: str, metric: Any, target: float) -> ServiceStandard:
    return standard_services.create_standard(
        service, StandardData(code, f"Promise {code}", metric.code, target), None
    )


@pytest.fixture
def org(
    db_session: Any, make_department: Any, make_metrics: Any, make_period: Any, make_settings: Any
) -> dict[str, Any]:
    """Five departments, two services each, two to four standards a service (most on
    within_standard with their own targets, some on speed of answer, lower is better), one
    to three observations a standard and period; a few standards without values in a
    period; one department with no standards at all."""
    make_settings()
    metrics = make_metrics("within_standard", "speed_of_answer")
    periods = [make_period(label) for label in PERIODS]
    rng = random.Random(20261208)
    depts, standards, observations = [], [], []
    for d in range(5):
        dept = make_department(f"D{d}")
        depts.append(dept)
        if d == 4:
            continue
        for s in range(2):
            service = Service(department=dept, name=f"Service {d}.{s}")
            db_session.add(service)
            db_session.flush()
            for k in range(rng.randint(2, 4)):
                lower = k == 3
                metric = metrics["speed_of_answer" if lower else "within_standard"]
                target = rng.choice([60.0, 120.0]) if lower else rng.choice([70.0, 80.0, 90.0])
                standards.append((dept, _standard(service, f"D{d}-S{s}-{k}", metric, target)))
    for period in periods:
        for dept, standard in standards:
            if rng.random() < 0.15:
                continue  # no value this period: not judged
            lower = standard.metric.code == "speed_of_answer"
            for r in range(rng.randint(1, 3)):
                value = rng.uniform(30, 180) if lower else rng.uniform(55, 100)
                n = float(rng.randint(10, 500))
                obs = Observation(
                    department=dept, metric=standard.metric, period=period, value=value, n=n,
                    service=standard.service, standard=standard, import_key=f"r{r}",
                )  # fmt: skip
                db_session.add(obs)
                observations.append((period.label, dept.code, standard, value, n))
    db_session.flush()
    return {"metrics": metrics, "periods": periods, "depts": depts, "obs": observations}


def _independent(observations: list[Any], label: str) -> dict[str, tuple[int, int]]:
    """department -> (standards met, standards judged) in the period, from the raw rows."""
    pooled: dict[tuple[str, str], list[float]] = {}
    judges: dict[tuple[str, str], tuple[float, bool]] = {}
    for period, dept, standard, value, n in observations:
        if period != label:
            continue
        sums = pooled.setdefault((dept, standard.code), [0.0, 0.0])
        sums[0] += value * n
        sums[1] += n
        judges[(dept, standard.code)] = (standard.target, standard.metric.code != "speed_of_answer")
    out: dict[str, list[int]] = {}
    for key, (vn, n) in pooled.items():
        target, higher = judges[key]
        value = vn / n
        met = value >= target if higher else value <= target
        counts = out.setdefault(key[0], [0, 0])
        counts[0] += int(met)
        counts[1] += 1
    return {d: (m, t) for d, (m, t) in out.items()}


def _document(label: str) -> dict[str, Any]:
    from cxprogram.metrics.queries import period_by_label

    period = period_by_label(label)
    assert period is not None
    return snapshot_document(run_rollup(period, NOW).snapshot)


def test_standards_met_agrees_with_independent_computation(org: dict[str, Any]) -> None:
    for label in PERIODS:
        expected = _independent(org["obs"], label)
        block = _document(label)["metrics"]["standards_met"]
        got = block["departments"]
        assert set(got) == set(expected), "every department with a judged standard, only them"
        for dept, (met, total) in expected.items():
            assert got[dept]["score"] == pytest.approx(100 * met / total, abs=TOL)
            assert got[dept]["n"] == total
        all_met = sum(m for m, _ in expected.values())
        all_judged = sum(t for _, t in expected.values())
        assert block["org_score"] == pytest.approx(100 * all_met / all_judged, abs=TOL)
        scores = [100 * m / t for m, t in expected.values()]
        mean = sum(scores) / len(scores)
        sd = (sum((s - mean) ** 2 for s in scores) / len(scores)) ** 0.5
        assert block["mean"] == pytest.approx(mean, abs=TOL)
        assert block["sd"] == pytest.approx(sd, abs=TOL)
        within = [s for s in scores if abs(s - block["org_score"]) <= block["tolerance"]]
        assert block["consistency"] == pytest.approx(100 * len(within) / len(scores), abs=TOL)


def test_standards_met_decomposition_agrees(org: dict[str, Any]) -> None:
    before, after = (_independent(org["obs"], label) for label in PERIODS)
    block = _document(PERIODS[1])["metrics"]["standards_met"]["decomposition"]

    def weights(counts: dict[str, tuple[int, int]]) -> dict[str, float]:
        total = sum(t for _, t in counts.values())
        return {d: t / total for d, (_, t) in counts.items()}

    w0, w1 = weights(before), weights(after)
    s0 = {d: 100 * m / t for d, (m, t) in before.items()}
    s1 = {d: 100 * m / t for d, (m, t) in after.items()}
    org0 = sum(w0[d] * s0[d] for d in s0)
    org1 = sum(w1[d] * s1[d] for d in s1)
    mean = (org0 + org1) / 2
    assert block["delta"] == pytest.approx(org1 - org0, abs=TOL)
    for dept in set(s0) | set(s1):
        a, b = s0.get(dept, s1.get(dept)), s1.get(dept, s0.get(dept))
        assert a is not None and b is not None
        rate = (w0.get(dept, 0) + w1.get(dept, 0)) / 2 * (b - a)
        mix = ((a + b) / 2 - mean) * (w1.get(dept, 0) - w0.get(dept, 0))
        assert block["departments"][dept]["rate"] == pytest.approx(rate, abs=TOL)
        assert block["departments"][dept]["mix"] == pytest.approx(mix, abs=TOL)


def test_a_standards_own_target_decides(
    db_session: Any, make_department: Any, make_metrics: Any, make_period: Any,
    make_settings: Any,
) -> None:  # fmt: skip
    """90 % is green against the metric's target (80) but red against a standard's (99):
    the grid row, the reds and standards_met all judge it by the standard's."""
    make_settings()
    metric = make_metrics("within_standard")["within_standard"]
    period = make_period("FY2024-Q1")
    dept = make_department("VA")
    service = Service(department=dept, name="Benefits")
    db_session.add(service)
    db_session.flush()
    strict = _standard(service, "VA-STRICT", metric, 99.0)
    loose = _standard(service, "VA-LOOSE", metric, 50.0)
    for standard in (strict, loose):
        db_session.add(Observation(department=dept, metric=metric, period=period, value=90.0,
                                   n=100.0, service=service, standard=standard))  # fmt: skip
    db_session.flush()
    rows = {row.standard.code: row for row in grid_rows(dept, period) if row.standard}
    assert rows["VA-STRICT"].rule.status(90.0) == "red"
    assert rows["VA-LOOSE"].rule.status(90.0) == "green"
    reds = department_reds(period.id, [dept.id])
    assert [(r.standard, r.target) for r in reds] == [("VA-STRICT", 99.0)]
    block = _document("FY2024-Q1")["metrics"]["standards_met"]
    assert block["departments"]["VA"]["score"] == 50.0
    assert block["departments"]["VA"]["n"] == 2
    # a new target is seen by the next rollup (the cached aggregates are forgotten)
    standard_services.update_standard(
        strict, StandardData("VA-STRICT", "Promise", metric.code, 90.0), strict.version, None
    )
    assert _document("FY2024-Q1")["metrics"]["standards_met"]["departments"]["VA"]["score"] == 100


def test_writes_check_the_named_standard(
    db_session: Any, make_department: Any, make_metrics: Any, make_period: Any,
    make_settings: Any,
) -> None:  # fmt: skip
    """A row may name only a standard of its own service and metric, not retired; the
    refusal names the row, the field and the reason, and nothing is written."""
    make_settings()
    metrics = make_metrics("within_standard", "first_contact_resolution")
    period = make_period("FY2024-Q1")
    dept = make_department("VA")
    one, other = Service(department=dept, name="One"), Service(department=dept, name="Two")
    db_session.add_all([one, other])
    db_session.flush()
    standard = _standard(one, "VA-1", metrics["within_standard"], 80.0)
    ws, fcr = metrics["within_standard"].id, metrics["first_contact_resolution"].id
    cases = [
        ((dept.id, ws, period.label, other.id, None, "", standard.id, None), "another service"),
        ((dept.id, fcr, period.label, one.id, None, "", standard.id, None), "another metric"),
    ]
    for key, reason in cases:
        payload = ObservationPayload(adds=[ObservationRow(7, key, 90.0, 10.0, "", True)])
        with pytest.raises(StandardRefusedError) as refused:
            write_observations(payload, None, Source.IMPORT)
        assert (refused.value.number, refused.value.field) == (7, "standard")
        assert reason in refused.value.reason
    standard_services.set_standard_retired(standard, True, standard.version, None)
    key = (dept.id, ws, period.label, one.id, None, "", standard.id, None)
    payload = ObservationPayload(adds=[ObservationRow(3, key, 90.0, 10.0, "", True)])
    with pytest.raises(StandardRefusedError, match="retired"):
        write_observations(payload, None, Source.IMPORT)
    assert db_session.scalar(select(func.count()).select_from(Observation)) == 0


def test_standard_rules(
    db_session: Any, make_department: Any, make_metrics: Any, make_settings: Any
) -> None:
    make_settings()
    metric = make_metrics("within_standard")["within_standard"]
    service = Service(department=make_department("VA"), name="One")
    db_session.add(service)
    db_session.flush()
    _standard(service, "FINTRAC-CANAFE-01", metric, 80.0)
    bad = [
        (StandardData("fintrac-canafe-01", "", metric.code, 80.0), "code", "already"),
        (StandardData("x" * 41, "", metric.code, 80.0), "code", "up to 40"),
        (StandardData("A B", "", metric.code, 80.0), "code", "not a standard code"),
        (StandardData("OK-1", "", metric.code, 120.0), "target", "outside the metric's scale"),
        (StandardData("OK-1", "", "", 80.0), "metric", "choose"),
    ]
    for data, field, reason in bad:
        with pytest.raises(StandardError) as refused:
            standard_services.create_standard(service, data, None)
        assert refused.value.field == field and reason in refused.value.message


@pytest.fixture
def services(
    db_session: Any, make_department: Any, make_metrics: Any, make_period: Any,
    make_settings: Any,
) -> dict[str, Any]:  # fmt: skip
    """Two departments with a service each (the VA one offered on the phone only)."""
    from cxprogram.metrics.services import ensure_vocabularies
    from cxprogram.org.models import Channel

    make_settings()
    ensure_vocabularies()
    metrics = make_metrics("within_standard", "speed_of_answer")
    make_period("FY2024-Q1")
    phone = db_session.scalars(select(Channel).where(Channel.code == "phone")).one()
    va_dept, other_dept = make_department("VA"), make_department("FINTRAC-CANAFE")
    va = Service(department=va_dept, name="Benefits", channels=[phone])
    dmv = Service(department=other_dept, name="Reports")
    db_session.add_all([va, dmv])
    db_session.flush()
    return {"metrics": metrics, "va": va, "dmv": dmv}


STANDARDS_CSV = (
    "department,service,code,text,metric,target,channel\n"
    "VA,Benefits,VA-CALLS,Answer within 60 s,speed_of_answer,60,phone\n"
    "VA,Benefits,VA-DECIDE,Decide in 10 days,Within standard,85,\n"
    "FINTRAC-CANAFE,Reports,FINTRAC-CANAFE-01,Acknowledge in 2 days,within_standard,90,\n"
)


def test_standards_import_adds_then_changes_nothing(
    runner: Any, db_session: Any, services: dict[str, Any], tmp_path: Any
) -> None:
    path = tmp_path / "standards.csv"
    path.write_text(STANDARDS_CSV)
    result = runner.invoke(args=["import", "standards", str(path)])
    assert result.exit_code == 0, result.output
    assert "standards added: 3" in result.output
    stored = {s.code: s for s in db_session.scalars(select(ServiceStandard))}
    assert stored["VA-CALLS"].target == 60.0 and stored["VA-CALLS"].channel.code == "phone"
    assert stored["VA-DECIDE"].metric.code == "within_standard"
    again = runner.invoke(args=["import", "standards", str(path)])
    assert again.exit_code == 0 and "unchanged: 3" in again.output, again.output
    path.write_text(STANDARDS_CSV.replace("Decide in 10 days,Within standard,85",
                                          "Decide in 7 days,Within standard,80"))  # fmt: skip
    changed = runner.invoke(args=["import", "standards", str(path)])
    assert "standards changed: 1" in changed.output, changed.output
    db_session.expire_all()
    assert stored["VA-DECIDE"].target == 80.0


def test_standards_import_refusals_name_row_field_reason_and_write_nothing(
    runner: Any, db_session: Any, services: dict[str, Any], tmp_path: Any
) -> None:
    rows = [
        "department,service,code,text,metric,target,channel",
        "VA,Benefits,OK-1,Fine,within_standard,80,",  # 2: fine
        "XX,Benefits,BAD-1,,within_standard,80,",  # 3
        "VA,Nothing,BAD-2,,within_standard,80,",  # 4
        "VA,Benefits,bad code,,within_standard,80,",  # 5
        "VA,Benefits,ok-1,,within_standard,80,",  # 6 the code of row 2
        "VA,Benefits,BAD-3,,no_such_metric,80,",  # 7
        "VA,Benefits,BAD-4,,within_standard,lots,",  # 8
        "VA,Benefits,BAD-5,,within_standard,150,",  # 9
        "VA,Benefits,BAD-6,,within_standard,80,web",  # 10 not offered on the web
        "VA,Benefits,BAD-7,,standards_met,80,",  # 11 derived
    ]
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(rows) + "\n")
    result = runner.invoke(args=["import", "standards", str(path)])
    assert result.exit_code == 1
    expected = [
        "row 3, column department: unknown department 'XX'",
        "row 4, column service: unknown service 'Nothing'",
        "row 5, column code: 'bad code' is not a standard code",
        "row 6, column code: the code ok-1 is also on row 2",
        "row 7, column metric: unknown metric 'no_such_metric'",
        "row 8, column target: 'lots' is not a number",
        "row 9, column target: 150 is outside the metric's scale",
        "row 10, column channel: Benefits is not offered through Web",
        "row 11, column metric: ",  # not a metric a standard may promise on
    ]
    for line in expected:
        assert line in result.output, (line, result.output)
    assert db_session.scalars(select(ServiceStandard)).all() == []


def test_observations_import_takes_the_standard_column(
    runner: Any, db_session: Any, services: dict[str, Any], tmp_path: Any
) -> None:
    path = tmp_path / "standards.csv"
    path.write_text(STANDARDS_CSV)
    assert runner.invoke(args=["import", "standards", str(path)]).exit_code == 0
    header = "department,metric,period,value,n,service,channel,standard\n"
    bad = tmp_path / "bad.csv"
    bad.write_text(header
                   + "VA,within_standard,FY2024-Q1,90,10,Benefits,,NOPE\n"
                   + "VA,within_standard,FY2024-Q1,90,10,Benefits,,FINTRAC-CANAFE-01\n"
                   + "VA,within_standard,FY2024-Q1,90,10,Benefits,,VA-CALLS\n"
                   + "VA,within_standard,FY2024-Q1,90,10,,,VA-DECIDE\n")  # fmt: skip
    result = runner.invoke(args=["import", "observations", str(bad)])
    assert result.exit_code == 1
    for line in (
        "row 2, column standard: unknown standard 'NOPE'",
        "row 3, column standard: the standard 'FINTRAC-CANAFE-01' belongs to another service",
        "row 4, column standard: the standard 'VA-CALLS' is on another metric",
        "row 5, column service: the standard 'VA-DECIDE' needs the row's service",
    ):
        assert line in result.output, (line, result.output)
    assert db_session.scalar(select(func.count()).select_from(Observation)) == 0
    good = tmp_path / "good.csv"
    good.write_text(header
                    + "VA,within_standard,FY2024-Q1,90,10,Benefits,,va-decide\n"
                    + "VA,speed_of_answer,FY2024-Q1,50,10,Benefits,phone,VA-CALLS\n"
                    + "VA,within_standard,FY2024-Q1,70,10,Benefits,,\n")  # fmt: skip
    result = runner.invoke(args=["import", "observations", str(good)])
    assert result.exit_code == 0, result.output
    found = {(o.metric.code, o.standard.code if o.standard else None): o.value
             for o in db_session.scalars(select(Observation))}  # fmt: skip
    assert found == {
        ("within_standard", "VA-DECIDE"): 90.0,
        ("speed_of_answer", "VA-CALLS"): 50.0,
        ("within_standard", None): 70.0,
    }


def test_api_lists_standards_and_carries_the_standard_on_observations(
    runner: Any, client: Any, make_user: Any, db_session: Any, services: dict[str, Any],
    tmp_path: Any,
) -> None:  # fmt: skip
    from cxprogram.auth.tokens import create_token

    path = tmp_path / "standards.csv"
    path.write_text(STANDARDS_CSV)
    assert runner.invoke(args=["import", "standards", str(path)]).exit_code == 0
    officer = make_user("officer", departments=("VA",))
    headers = {"Authorization": f"Bearer {create_token(officer)}"}
    listed = client.get("/api/v1/standards", headers=headers).get_json()
    assert [s["code"] for s in listed] == ["VA-CALLS", "VA-DECIDE"]  # their own only
    assert listed[0] == {"code": "VA-CALLS", "department": "VA", "service": "Benefits",
                         "text": "Answer within 60 s", "metric": "speed_of_answer",
                         "target": 60.0, "channel": "phone", "retired": False}  # fmt: skip
    item = {"department": "VA", "metric": "within_standard", "period": "FY2024-Q1",
            "value": 90.0, "n": 10.0, "service": "Benefits"}  # fmt: skip
    bad = client.post(
        "/api/v1/observations",
        headers=headers,
        json=[{**item, "standard": "VA-CALLS"}, {**item, "standard": "NOPE"}],
    )
    assert bad.status_code == 422
    errors = {(e["index"], e["field"]): e["reason"] for e in bad.get_json()["errors"]}
    assert "on another metric" in errors[(0, "standard")]
    assert "unknown standard 'NOPE'" in errors[(1, "standard")]
    assert db_session.scalar(select(func.count()).select_from(Observation)) == 0
    good = client.post("/api/v1/observations", headers=headers,
                       json=[{**item, "standard": "VA-DECIDE"}, item])  # fmt: skip
    assert good.status_code == 201, good.get_json()
    got = client.get("/api/v1/observations?department=VA", headers=headers).get_json()
    assert sorted((o["standard"] or "") for o in got["items"]) == ["", "VA-DECIDE"]
    document = client.get("/api/v1/openapi.json").get_json()
    assert "/standards" in document["paths"]
    assert "standard" in document["components"]["schemas"]["ObservationOut"]["properties"]


def test_standards_met_has_trends_variation_and_assurance_like_any_metric(
    db_session: Any, make_department: Any, make_metrics: Any, make_period: Any,
    make_settings: Any,
) -> None:  # fmt: skip
    """Six quarters of two departments' standards: the organization's standards_met series
    in the variation object is the share of all standards met each quarter, computed here,
    and the last quarter carries a trend, a variation and an assurance."""
    make_settings()
    metric = make_metrics("within_standard")["within_standard"]
    labels = [f"FY2023-Q{q}" for q in range(1, 5)] + ["FY2024-Q1", "FY2024-Q2"]
    periods = [make_period(label) for label in labels]
    met_plan = {"A": [1, 2, 1, 2, 1, 3], "B": [0, 1, 1, 1, 0, 1]}  # met of 3 standards each
    expected = []
    for code, plan in met_plan.items():
        service = Service(department=make_department(code), name=f"{code} desk")
        db_session.add(service)
        db_session.flush()
        standards = [_standard(service, f"{code}-{k}", metric, 80.0) for k in range(3)]
        for period, met in zip(periods, plan, strict=True):
            for k, standard in enumerate(standards):
                db_session.add(Observation(
                    department=service.department, metric=metric, period=period,
                    value=90.0 if k < met else 70.0, n=50.0, service=service, standard=standard,
                ))  # fmt: skip
    db_session.flush()
    for i in range(len(labels)):
        expected.append(100 * (met_plan["A"][i] + met_plan["B"][i]) / 6)
    for label in labels[:-1]:
        _document(label)
    block = _document(labels[-1])["metrics"]["standards_met"]
    values = [v for v in block["variation"]["values"] if v is not None]
    assert values == pytest.approx(expected, abs=TOL)
    assert block["variation"]["assurance"] in ("pass", "fail", "hit or miss")
    assert block["variation"]["variation"] in ("common cause", "improvement", "concern")
    a = block["departments"]["A"]
    assert a["trend"]["signal"] in ("above", "below", "none")
    assert [v for v in a["variation"]["values"] if v is not None] == pytest.approx(
        [100 * m / 3 for m in met_plan["A"]], abs=TOL
    )


def test_admin_uploads_previews_and_confirms_standards(
    client: Any, login: Any, make_user: Any, db_session: Any, services: dict[str, Any]
) -> None:
    import io

    from tests.conftest import csrf_token

    db_session.commit()
    login(make_user("admin").email)
    assert "Service standards" in client.get("/imports/").get_data(as_text=True)
    upload = client.post(
        "/imports/standards",
        data={"file": (io.BytesIO(STANDARDS_CSV.encode()), "standards.csv"),
              "csrf_token": csrf_token(client, "/imports/standards")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert upload.status_code == 302
    preview_url = upload.headers["Location"]
    preview = client.get(preview_url).get_data(as_text=True)
    assert "3 to add" in preview and "VA Benefits: VA-CALLS" in preview
    assert db_session.scalars(select(ServiceStandard)).all() == []
    token = csrf_token(client, preview_url)
    assert client.post(preview_url, data={"csrf_token": token}).status_code == 302
    assert len(db_session.scalars(select(ServiceStandard)).all()) == 3


def test_the_export_carries_the_standard_its_target_and_its_status(
    db_session: Any, make_department: Any, make_metrics: Any, make_period: Any,
    make_settings: Any, make_user: Any, app: Any,
) -> None:  # fmt: skip
    from cxprogram.exports.queries import OBSERVATION_COLUMNS, ExportFilter, observation_rows

    make_settings()
    metric = make_metrics("within_standard")["within_standard"]
    period = make_period("FY2024-Q1")
    dept = make_department("VA")
    service = Service(department=dept, name="Benefits")
    db_session.add(service)
    db_session.flush()
    strict = _standard(service, "VA-STRICT", metric, 99.0)
    for standard in (strict, None):
        db_session.add(Observation(department=dept, metric=metric, period=period, value=90.0,
                                   n=100.0, service=service, standard=standard))  # fmt: skip
    db_session.flush()
    with app.test_request_context():
        rows = [dict(zip(OBSERVATION_COLUMNS, row, strict=True))
                for row in observation_rows(ExportFilter(make_user("chief")))]  # fmt: skip
    found = {row["standard"]: (row["target"], row["status"]) for row in rows}
    assert found == {"VA-STRICT": (99, "red"), None: (80, "green")}


def test_within_standard_is_due_only_from_departments_with_a_standard(
    db_session: Any, make_department: Any, make_metrics: Any, make_period: Any,
    make_settings: Any,
) -> None:  # fmt: skip
    """The metric standards use is missing, and expected by the tracker, only where a
    service of the department has a standard of it; standards_met (computed) never is."""
    from cxprogram.review.progress import _expected_metrics, missing_metrics

    make_settings()
    metrics = make_metrics("satisfaction", "within_standard", "standards_met")
    period = make_period("FY2024-Q1")
    with_one, without = make_department("VA"), make_department("SSA")
    service = Service(department=with_one, name="Benefits")
    db_session.add(service)
    db_session.flush()
    _standard(service, "VA-30-DAYS", metrics["within_standard"], 80.0)
    db_session.flush()
    assert [m.code for m in missing_metrics(with_one.id, period.id)] == [
        "satisfaction", "within_standard"
    ]  # fmt: skip
    assert [m.code for m in missing_metrics(without.id, period.id)] == ["satisfaction"]
    assert _expected_metrics([with_one.id, without.id], 1) == {with_one.id: 2, without.id: 1}


def test_a_retired_channel_stays_on_its_standard_and_is_refused_on_new_ones(
    db_session: Any, make_department: Any, make_metrics: Any, make_settings: Any
) -> None:
    from cxprogram.org.models import Channel

    make_settings()
    metric = make_metrics("within_standard")["within_standard"]
    fax = Channel(code="fax", name="Fax")
    service = Service(department=make_department("VA"), name="One", channels=[fax])
    db_session.add(service)
    db_session.flush()
    kept = standard_services.create_standard(
        service, StandardData("VA-FAX-1", "", metric.code, 80.0, fax.id), None
    )
    fax.is_retired = True
    db_session.flush()
    with pytest.raises(StandardError) as refused:
        standard_services.create_standard(
            service, StandardData("VA-FAX-2", "", metric.code, 80.0, fax.id), None
        )
    assert refused.value.field == "channel" and "'Fax' is retired" in refused.value.message
    assert standard_services.update_standard(
        kept, StandardData("VA-FAX-1", "", metric.code, 85.0, fax.id), kept.version, None
    )
    assert kept.channel is fax and kept.target == 85.0
    assert db_session.scalar(select(func.count(ServiceStandard.id))) == 1
