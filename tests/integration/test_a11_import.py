"""`cxprogram import a11` on the real file: departments, periods, idempotence, scores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from cxprogram.metrics.queries import department_scores_query
from cxprogram.models import (
    AuditEvent,
    Department,
    MetricDefinition,
    Observation,
    ReportingPeriod,
    Service,
)

# Departments with at least one satisfaction answer in FY2023-Q1, counted in the file.
FY2023_Q1_DEPARTMENTS = 18
DATA = Path(__file__).resolve().parents[2] / "data" / "a11-hisp-cx-fy2021q1-fy2023q1.csv"


def _counts(session: Any) -> dict[str, int]:
    models = (Department, ReportingPeriod, Service, MetricDefinition, Observation, AuditEvent)
    return {m.__name__: session.scalar(select(func.count()).select_from(m)) for m in models}


@pytest.fixture
def imported(runner: Any, db_session: Any) -> Any:
    result = runner.invoke(args=["import", "a11", str(DATA)])
    assert result.exit_code == 0, result.output
    return result


def test_real_file_gives_18_departments_and_9_periods(imported: Any, db_session: Any) -> None:
    assert db_session.scalar(select(func.count(Department.id))) == 18
    labels = list(
        db_session.scalars(select(ReportingPeriod.label).order_by(ReportingPeriod.start_date))
    )
    assert labels == [
        "FY2021-Q1", "FY2021-Q2", "FY2021-Q3", "FY2021-Q4",
        "FY2022-Q1", "FY2022-Q2", "FY2022-Q3", "FY2022-Q4", "FY2023-Q1",
    ]  # fmt: skip
    va = db_session.scalar(select(Department).where(Department.code == "VA"))
    assert va.name == "Department of Veterans Affairs"
    codes = set(db_session.scalars(select(MetricDefinition.code)))
    assert {
        "satisfaction",
        "trust",
        "effectiveness",
        "ease",
        "efficiency",
        "transparency",
        "employee",
    } <= codes
    assert "18 departments, 9 periods" in imported.output


def test_second_import_changes_no_row(imported: Any, runner: Any, db_session: Any) -> None:
    before = _counts(db_session)
    values = db_session.execute(
        select(Observation.id, Observation.value, Observation.version)
    ).all()
    again = runner.invoke(args=["import", "a11", str(DATA)])
    assert again.exit_code == 0, again.output
    assert "observations created: 0" in again.output
    assert "observations updated: 0" in again.output
    assert _counts(db_session) == before  # not even an audit event
    assert (
        db_session.execute(select(Observation.id, Observation.value, Observation.version)).all()
        == values
    )


def _scores(session: Any, period: str, metric: str) -> dict[str, tuple[float, float]]:
    return {
        code: (score, n)
        for code, score, n in session.execute(department_scores_query(period, metric))
    }


def test_department_scores_computed_by_hand(imported: Any, db_session: Any) -> None:
    scores = _scores(db_session, "FY2023-Q1", "satisfaction")
    # DOS, FY2023-Q1, q1 counts of answers 1..5:
    #   record 597 (automated phone): 404, 41, 65, 164, 468 -> n 1142, points 3677
    #   record 598 (web):              65, 36, 46, 104, 406 -> n  657, points 2721
    # pooled: (3677 + 2721) / (1142 + 657) = 6398 / 1799
    assert scores["DOS"][0] == pytest.approx(6398 / 1799, abs=1e-12)
    assert scores["DOS"][1] == 1799
    # HUD: 84,30,24,39,57 -> n 234, points 657; 82,73,54,147,557 -> n 913, points 3763
    assert scores["HUD"][0] == pytest.approx(4420 / 1147, abs=1e-12)
    # SBA: one record, 23,5,14,56,196 -> n 294, points 23+10+42+224+980 = 1279
    assert scores["SBA"] == (pytest.approx(1279 / 294, abs=1e-12), 294)
    assert len(scores) == FY2023_Q1_DEPARTMENTS


def test_observation_keeps_its_distribution(imported: Any, db_session: Any) -> None:
    obs = db_session.scalar(
        select(Observation).where(Observation.import_key == "a11:597").join(Observation.metric)
        .where(MetricDefinition.code == "satisfaction")
    )  # fmt: skip
    assert obs.distribution == [404, 41, 65, 164, 468]
    assert obs.n == 1142
    assert obs.value == pytest.approx(3677 / 1142, abs=1e-12)
    assert obs.channel.code == "automated_phone"
    assert obs.service.department.code == "DOS"


def test_malformed_file_writes_nothing(runner: Any, db_session: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,organization_abbreviation\n1,VA\n", encoding="utf-8")
    before = _counts(db_session)
    result = runner.invoke(args=["import", "a11", str(bad)])
    assert result.exit_code == 1, result.output
    assert "nothing imported" in result.output
    assert _counts(db_session) == before


def _copies(rows: int, tmp_path: Path) -> Path:
    """The real file's first rows, copied with their own departments and record ids."""
    import csv

    with DATA.open(encoding="utf-8-sig", newline="") as stream:
        reader = csv.reader(stream)
        header = next(reader)
        real = [r for r in reader if any(v.strip() for v in r)][:rows]
    col = {name.removeprefix("attributes_"): k for k, name in enumerate(header)}
    path = tmp_path / f"copies-{rows}.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for k, row in enumerate(real):
            new = list(row)
            new[col["id"]] = f"{row[col['id']]}-{rows}"
            new[col["organization_abbreviation"]] = f"C{rows}X{k % 7}"
            writer.writerow(new)
    return path


def test_the_a11_import_creates_departments_and_services_in_sets(
    runner: Any, db_session: Any, tmp_path: Path
) -> None:
    """Issue 13: departments and services were created and flushed one at a time, with a lazy
    load of each service's channels; the statements no longer grow with the rows."""
    from sqlalchemy import event

    engine = db_session.get_bind()
    costs = []
    for rows in (20, 200):
        path = _copies(rows, tmp_path)
        seen: list[str] = []

        def listener(*args: Any, seen: list[str] = seen) -> None:
            seen.append(args[2])

        event.listen(engine, "before_cursor_execute", listener)
        try:
            result = runner.invoke(args=["import", "a11", str(path)])
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        assert result.exit_code == 0, result.output
        costs.append(len(seen))
    assert costs[1] <= costs[0] + 6, costs  # batches of the driver's parameter limit at most
    dept = db_session.scalars(select(Department).where(Department.code == "C200X3")).one()
    services = db_session.scalars(select(Service).where(Service.department_id == dept.id)).all()
    assert services and all(s.channels for s in services)
