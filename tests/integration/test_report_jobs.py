"""Producing reports: the chief's request queues one without waiting; the queue job renders
it in a child process and archives it; a killed or timed-out render fails with its reason
and leaves the archive as it was; downloads are permission-checked and audited; the
quarter-close job queues one report per final snapshot and the chief gets a link."""

from __future__ import annotations

import hashlib
import os
import signal
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from cxprogram.core.models import AuditEvent
from cxprogram.extensions import db
from cxprogram.reports import jobs, queries, services
from cxprogram.reports.models import QuarterlyReport, ReportStatus
from tests.conftest import csrf_token
from tests.integration.report_data import build_org, roll_up

NOW = datetime(2023, 4, 21, 9, 0, tzinfo=UTC)


@pytest.fixture
def org(
    make_settings: Any, make_metrics: Any, make_department: Any, make_period: Any,
    make_observation: Any,
) -> dict[str, Any]:  # fmt: skip
    made = build_org({"settings": make_settings, "metrics": make_metrics,
                      "department": make_department, "period": make_period,
                      "observation": make_observation})  # fmt: skip
    roll_up(made["period"])
    return made


def _queue(org: dict[str, Any]) -> QuarterlyReport:
    report = services.request_report(org["period"], None, "test")
    db.session.commit()
    return report


def test_the_chief_queues_a_report_and_the_page_does_not_wait(
    client: Any, login: Any, make_user: Any, org: dict[str, Any]
) -> None:
    chief = make_user("chief")
    login(chief.email)
    token = csrf_token(client, "/reports")
    answer = client.post("/reports", data={"period": "FY2023-Q2", "csrf_token": token})
    assert answer.status_code == 302
    (report,) = db.session.scalars(select(QuarterlyReport)).all()
    assert report.status == ReportStatus.QUEUED and report.requested_by_id == chief.id
    assert report.snapshot_version == 1 and report.pdf is None
    status = client.get(f"/reports/{report.id}/status").get_json()
    assert status["status"] == "queued" and status["download"] is None
    page = client.get("/reports").get_data(as_text=True)
    assert f'id="report-{report.id}"' in page and "reports.js" in page
    assert client.post("/reports", data={"period": "FY2023-Q2"}).status_code == 400  # CSRF


def test_the_queue_job_renders_in_a_child_and_archives(
    app: Any, org: dict[str, Any], client: Any, login: Any, make_user: Any
) -> None:
    report = _queue(org)
    with app.app_context():
        assert jobs.run_report_queue(NOW) == 1
    db.session.expire_all()
    done = queries.report_by_id(report.id, with_pdf=True)
    assert done is not None and done.status == ReportStatus.DONE, done.error
    assert done.pdf is not None and done.pdf.startswith(b"%PDF-1.7")
    assert done.sha256 == hashlib.sha256(done.pdf).hexdigest() and done.size_bytes == len(done.pdf)
    assert done.pages and done.pages == done.pages_laid_out and done.sections_total >= 8
    assert done.sections_done == done.sections_total
    assert done.started_at and done.finished_at and done.render_seconds and done.build_seconds
    for role in ("chief", "officer", "viewer"):
        user = make_user(role, departments=("AAA",) if role == "officer" else ())
        answer = _signed_in(app, user.email).get(f"/reports/{report.id}/download")
        assert answer.status_code == 200 and answer.data == done.pdf, role
        assert answer.headers["Content-Type"] == "application/pdf"
    downloads = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "download",
                                 AuditEvent.entity_type == "quarterly_report")
    ).all()  # fmt: skip
    assert len(downloads) == 3


def test_admins_and_partial_viewers_may_not_download(
    client: Any, login: Any, make_user: Any, org: dict[str, Any]
) -> None:
    report = _queue(org)
    admin = make_user("admin")
    login(admin.email)
    assert client.get("/reports").status_code == 403
    assert client.get(f"/reports/{report.id}/download").status_code == 403
    partial = make_user("viewer", departments=("AAA",))
    partial.sees_all_departments = False
    db.session.flush()
    assert _signed_in(client.application, partial.email).get("/reports").status_code == 403
    anonymous = client.application.test_client()
    assert anonymous.get(f"/reports/{report.id}/download").status_code == 302  # to sign in


def _signed_in(app: Any, email: str) -> Any:
    from tests.conftest import PASSWORD

    other = app.test_client()
    token = csrf_token(other)
    other.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token})
    return other


def _kill_when_started(monkeypatch: pytest.MonkeyPatch, delay: float) -> list[int]:
    """Make the job kill its render child `delay` seconds after it starts."""
    killed: list[int] = []
    original = jobs._pid_writer

    def writer(report_id: int) -> Any:
        write = original(report_id)

        def started(pid: int) -> None:
            write(pid)
            timer = threading.Timer(
                delay, lambda: (os.kill(pid, signal.SIGKILL), killed.append(pid))
            )
            timer.start()

        return started

    monkeypatch.setattr(jobs, "_pid_writer", writer)
    return killed


def test_a_killed_render_fails_with_its_reason_and_keeps_the_archive(
    app: Any, org: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    earlier = _queue(org)
    with app.app_context():
        jobs.run_report_queue(NOW)
    db.session.expire_all()
    kept = queries.report_by_id(earlier.id, with_pdf=True)
    assert kept is not None and kept.status == ReportStatus.DONE
    before = (kept.sha256, kept.pdf, kept.finished_at)
    victim = _queue(org)
    killed = _kill_when_started(monkeypatch, 2.0)
    with app.app_context():
        jobs.run_report_queue(NOW)
    db.session.expire_all()
    failed = queries.report_by_id(victim.id, with_pdf=True)
    assert killed and failed is not None and failed.status == ReportStatus.FAILED
    assert failed.error == "the render process was killed by SIGKILL before it finished"
    assert failed.pdf is None and failed.sha256 is None and failed.finished_at
    again = queries.report_by_id(earlier.id, with_pdf=True)
    assert again is not None and (again.sha256, again.pdf, again.finished_at) == before


def test_a_render_past_its_deadline_is_killed_and_failed(
    app: Any, org: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    report = _queue(org)
    monkeypatch.setitem(app.config, "CX_REPORT_TIMEOUT_SECONDS", 1)
    with app.app_context():
        jobs.run_report_queue(NOW)
    db.session.expire_all()
    failed = queries.report_by_id(report.id)
    assert failed is not None and failed.status == ReportStatus.FAILED
    assert failed.error == "the render timed out after 1 s"


def test_a_running_report_whose_renderer_died_is_failed_later(
    app: Any, org: dict[str, Any]
) -> None:
    report = _queue(org)
    assert services.claim(report.id, NOW, 999_999)
    db.session.commit()
    timeout = app.config["CX_REPORT_TIMEOUT_SECONDS"]
    db.session.refresh(report)
    assert not jobs.is_stale(report, NOW + timedelta(seconds=timeout), timeout)
    later = NOW + timedelta(seconds=timeout) + jobs.STALE_AFTER + timedelta(seconds=1)
    assert jobs.is_stale(report, later, timeout)
    with app.app_context():
        assert jobs.reap_stale(later) == 1
    assert report.status == ReportStatus.FAILED and "stopped without finishing" in report.error


def test_quarter_close_queues_one_report_per_final_snapshot_and_mails_a_link(
    app: Any, org: dict[str, Any], smtp: Any, make_user: Any
) -> None:
    chief = make_user("chief")
    period = org["period"]
    period.state = "closed"
    db.session.flush()
    with app.app_context():
        assert jobs.run_quarter_close_reports(NOW) == 1
        assert jobs.run_quarter_close_reports(NOW) == 0  # once per final snapshot
        db.session.commit()
        jobs.run_report_queue(NOW)
    (report,) = db.session.scalars(select(QuarterlyReport)).all()
    assert report.close_key and report.requested_by_label == "quarter close"
    assert report.status == ReportStatus.DONE and report.mailed_at is not None
    (message,) = [m for m in smtp.messages if m["To"] == chief.email]
    body = message.get_payload(decode=True).decode()
    assert f"/reports/{report.id}/download" in body and body.startswith("The quarterly")
    assert app.config["CX_BASE_URL"] in body
    assert not message.is_multipart()  # a link, never the file
    with app.app_context():
        jobs.run_report_queue(NOW)
    assert len([m for m in smtp.messages if m["To"] == chief.email]) == 1
