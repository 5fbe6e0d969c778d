"""History in plain words (issue 12, item 7): the period history and a strategy's history read
as sentences ("Dana Ortiz changed Abandonment rate, VA, Phone, from 10.2 % to 12.5 %"), never
as event names, entity types or row ids; the period history includes the department's strategy
changes while the period is reported on."""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from cxprogram.core import audit
from cxprogram.metrics.models import Observation, Source
from cxprogram.metrics.observation_payload import Existing, ObservationPayload, ObservationRow
from cxprogram.metrics.observation_writes import write_observations
from cxprogram.models import Channel, Service
from tests.integration.test_strategies import _form, make_strategy, post, sign_in

LABEL, EARLIER = "FY2024-Q1", "FY2023-Q4"


@pytest.fixture
def va(
    db_session: Any, make_metrics: Any, make_department: Any, make_period: Any, make_user: Any
) -> dict[str, Any]:
    """VA with a phone service, the catalog, two open periods, Dana Ortiz its officer."""
    metrics = make_metrics()
    dept = make_department("VA", "Veterans Affairs")
    phone = db_session.scalars(select(Channel).where(Channel.code == "phone")).one()
    service = Service(department=dept, name="Benefits line", channels=[phone])
    strategy = make_strategy(dept)
    db_session.add_all([service, strategy])
    earlier, period = make_period(EARLIER), make_period(LABEL)
    officer = make_user("officer", departments=("VA",))
    officer.name = "Dana Ortiz"
    db_session.flush()
    return {"dept": dept, "metrics": metrics, "service": service, "phone": phone,
            "strategy": strategy, "period": period, "earlier": earlier,
            "officer": officer}  # fmt: skip


def _row(va: dict[str, Any], metric: str, value: float, n: float | None, note: str,
         label: str = LABEL, number: int = 1) -> ObservationRow:  # fmt: skip
    key = (va["dept"].id, va["metrics"][metric].id, label, va["service"].id, va["phone"].id, "",
           None, None)  # fmt: skip
    return ObservationRow(number, key, value, n, note, has_n=n is not None)


def _text(page: Any) -> str:
    """The page's visible text, one space between words, entities decoded."""
    body = page.get_data(as_text=True)
    body = body[body.index('<main id="main-content"') :]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def _save(va: dict[str, Any], row: ObservationRow, source: Source = Source.FORM,
          db_session: Any = None, origin: str = "") -> None:  # fmt: skip
    """Create the row's observation, or change it when it exists (as the grid does)."""
    found = db_session.scalars(select(Observation).where(
        Observation.metric_id == row.key[1], Observation.department_id == row.key[0],
        Observation.period_id == va["period"].id)).first()  # fmt: skip
    payload = ObservationPayload()
    if found is None:
        payload.adds.append(row)
    else:
        old = Existing(found.id, found.value, found.n, found.note, found.version)
        payload.changes.append((row, old))
    write_observations(payload, va["officer"], source, origin)
    db_session.flush()


def test_observation_create_and_update_read_as_sentences(
    client: Any, va: dict[str, Any], db_session: Any
) -> None:
    _save(va, _row(va, "abandonment_rate", 10.2, 300, "Staff shortage."), db_session=db_session)
    _save(va, _row(va, "abandonment_rate", 12.5, 320, "Staff shortage."), db_session=db_session)
    _save(va, _row(va, "satisfaction", 4.1, 80, ""), db_session=db_session)
    _save(va, _row(va, "satisfaction", 4.1, 80, "Survey moved online."), db_session=db_session)
    sign_in(client, va["officer"].email)
    text = _text(client.get(f"/departments/VA/periods/{LABEL}/history"))
    assert (
        "Dana Ortiz changed Abandonment rate, VA, Benefits line, Phone, from 10.2 % to 12.5 % "
        "and n from 300 to 320." in text
    )
    assert (
        "Dana Ortiz entered Abandonment rate, VA, Benefits line, Phone: 10.2 % (n = 300), "
        "with the note “Staff shortage.”" in text
    )
    assert "Dana Ortiz entered Satisfaction, VA, Benefits line, Phone: 4.10 (n = 80)." in text
    assert "Dana Ortiz explained Satisfaction, VA, Benefits line, Phone, with the note " in text
    _assert_no_internal_words(text, va)


def test_an_import_reads_as_one_sentence_with_its_rows(
    client: Any, va: dict[str, Any], db_session: Any
) -> None:
    _save(va, _row(va, "backlog_age", 41.0, None, "Winter storms."), db_session=db_session)
    stored = db_session.scalars(select(Observation)).one()
    rows = ObservationPayload()
    rows.adds.append(_row(va, "speed_of_answer", 95.4, 1200, ""))
    old = Existing(stored.id, stored.value, stored.n, stored.note, stored.version)
    rows.changes.append((_row(va, "backlog_age", 36.0, None, None, number=2), old))
    write_observations(rows, None, Source.IMPORT, "q1-calls.csv")
    db_session.flush()
    sign_in(client, va["officer"].email)
    text = _text(client.get(f"/departments/VA/periods/{LABEL}/history"))
    job = "A command or scheduled job"
    assert (
        f"{job} imported 2 values of VA for FY2024-Q1 from q1-calls.csv (1 new, 1 changed)." in text
    )
    assert "Average speed of answer, VA, Benefits line, Phone: 95 seconds (n = 1,200)" in text
    assert "Changed Backlog age, VA, Benefits line, Phone, from 41 days to 36 days" in text
    assert (
        "Dana Ortiz entered Backlog age, VA, Benefits line, Phone: 41 days, with the note" in text
    )
    _assert_no_internal_words(text, va)


def test_strategy_changes_milestones_and_updates_in_both_histories(
    client: Any, va: dict[str, Any], db_session: Any
) -> None:
    strategy = va["strategy"]
    sign_in(client, va["officer"].email)
    edit = _form(title="Call-back for every line", status="at_risk", progress="40",
                 version=str(strategy.version))  # fmt: skip
    assert post(client, f"/strategies/{strategy.id}/edit", edit).status_code == 302
    db_session.refresh(strategy)
    update = {"commentary": "Vendor chosen.", "update_status": "on_track",
              "update_progress": "55", "version": str(strategy.version)}  # fmt: skip
    assert post(client, f"/strategies/{strategy.id}/updates", update).status_code == 302
    db_session.refresh(strategy)
    add = {"milestone_title": "Train staff", "milestone_due": "2030-01-15",
           "version": str(strategy.version)}  # fmt: skip
    assert post(client, f"/strategies/{strategy.id}/milestones", add).status_code == 302
    db_session.refresh(strategy)
    vendor = next(m for m in strategy.milestones if m.title == "Pick a vendor")
    tick = {"done": "1", "version": str(strategy.version)}
    url = f"/strategies/{strategy.id}/milestones/{vendor.id}/done"
    assert post(client, url, tick).status_code == 302

    own = _text(client.get(f"/strategies/{strategy.id}/history"))
    assert "Dana Ortiz changed the strategy." in own
    assert "Title from “Call-back instead of hold” to “Call-back for every line”" in own
    assert "Status from not started to at risk" in own
    assert "Progress from 0 % to 40 %" in own
    assert f"Dana Ortiz posted a progress update for {LABEL}: “Vendor chosen.”" in own
    assert "Status from at risk to on track" in own and "Progress from 40 % to 55 %" in own
    assert "Dana Ortiz added the milestone “Train staff”, due 2030-01-15." in own
    assert f"Dana Ortiz marked the milestone “Pick a vendor” done on {date.today()}." in own
    _assert_no_internal_words(own, va)

    period = _text(client.get(f"/departments/VA/periods/{LABEL}/history"))
    called = "the strategy “Call-back for every line”"
    assert f"Dana Ortiz changed {called}." in period
    assert (
        f"Dana Ortiz posted a progress update on {called} for {LABEL}: “Vendor chosen.”" in period
    )
    assert f"Dana Ortiz added the milestone “Train staff” to {called}, due 2030-01-15." in period
    assert (
        f"Dana Ortiz marked the milestone “Pick a vendor” of {called} done on {date.today()}."
        in period
    )
    _assert_no_internal_words(period, va)
    # FY2024-Q1 is the open period VA reports on: its history runs to today. An earlier
    # period's history ends at its due date, long past, so today's changes are not in it.
    earlier = _text(client.get(f"/departments/VA/periods/{EARLIER}/history"))
    assert "Vendor chosen" not in earlier and "No changes recorded yet." in earlier


def test_period_close_plan_and_service_read_as_sentences(
    client: Any, va: dict[str, Any], db_session: Any, make_user: Any
) -> None:
    chief = make_user("chief")
    chief.name = "Sam Lee"
    audit.record("submit", "plan_review", 99, actor=va["officer"], before={"state": "draft",
                 "comment": ""}, after={"state": "submitted", "comment": ""},
                 department_id=va["dept"].id, period_label=LABEL)  # fmt: skip
    audit.record("request_changes", "plan_review", 99, actor=chief, before={"state": "submitted",
                 "comment": ""}, after={"state": "changes_requested", "comment": "Explain May."},
                 department_id=va["dept"].id, period_label=LABEL)  # fmt: skip
    audit.record("close", "period", LABEL, actor=chief, before={"state": "open"},
                 after={"state": "closed"}, period_label=LABEL,
                 reason="Quarter final.")  # fmt: skip
    audit.record("update", "service", va["service"].id, actor=va["officer"],
                 before={"name": "Benefits line", "channels": ["phone"], "version": 1},
                 after={"name": "Benefits line", "channels": ["phone", "web"], "version": 2},
                 department_id=va["dept"].id)  # fmt: skip
    db_session.flush()
    sign_in(client, chief.email)
    text = _text(client.get(f"/departments/VA/periods/{LABEL}/history"))
    assert "Dana Ortiz submitted the plan of VA for FY2024-Q1." in text
    assert (
        "Sam Lee asked for changes to the plan of VA for FY2024-Q1, with the comment "
        "“Explain May.”" in text
    )
    assert "Sam Lee closed FY2024-Q1: “Quarter final.”" in text
    assert "Dana Ortiz changed the service “Benefits line”." in text
    assert "Channels from Phone to Phone, Web" in text
    _assert_no_internal_words(text, va)


def _assert_no_internal_words(text: str, va: dict[str, Any]) -> None:
    """No event name, entity type, underscore name, e-mail or row id in the sentences."""
    log = text[text.index("newest first") :]
    for word in ("plan_review", "observation ", "add_update", "complete_milestone",
                 "not_started", "abandonment_rate", "request_changes", "&rarr;"):  # fmt: skip
        assert word not in log, word
    assert va["officer"].email not in log
    assert f"observation {va['service'].id}" not in log
    assert not re.search(r"\b(id|entity)\b", log)
