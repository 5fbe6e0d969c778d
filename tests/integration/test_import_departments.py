"""Bulk setup from files: departments (`code, name, parent`) and services (`department,
service, channels, journey_stages`), all or nothing with every bad row named, idempotent."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select

from cxprogram.imports.departments import DepartmentImporter
from cxprogram.imports.framework import plan_file
from cxprogram.imports.services_import import ServiceImporter
from cxprogram.metrics import services as metric_services
from cxprogram.models import AuditEvent, Department, Service
from tests.conftest import csrf_token

ONBOARDING = Path(__file__).resolve().parents[1] / "fixtures" / "onboarding"
LIMIT = 5_000_000


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def cli(app: Any, runner: Any) -> Any:
    """Run a command as the console script does (it pushes an app context)."""

    def invoke(*args: str) -> Any:
        with app.app_context():
            return runner.invoke(args=list(args))

    return invoke


def _count(db_session: Any, model: Any) -> int:
    return int(db_session.scalar(select(func.count(model.id))))


def _entity_events(db_session: Any) -> int:
    query = select(func.count(AuditEvent.id)).where(
        AuditEvent.entity_type.in_(["department", "service"])
    )
    return int(db_session.scalar(query))


def test_onboarding_files_import_from_the_command_line_and_reimport_changes_nothing(
    cli: Any, db_session: Any
) -> None:
    first = cli("import", "departments", str(ONBOARDING / "departments.csv"))
    assert first.exit_code == 0, first.output
    assert "departments added: 3" in first.output
    onb3 = db_session.scalars(select(Department).where(Department.code == "ONB3")).one()
    assert onb3.parent is not None and onb3.parent.code == "ONB1"
    services = cli("import", "services", str(ONBOARDING / "services.csv"))
    assert services.exit_code == 0, services.output
    park = db_session.scalars(select(Service).where(Service.name == "Park permits")).one()
    assert sorted(c.code for c in park.channels) == ["phone", "web"]
    assert sorted(s.code for s in park.journey_stages) == ["apply", "get_help"]
    events = _entity_events(db_session)
    for kind in ("departments", "services"):
        again = cli("import", kind, str(ONBOARDING / f"{kind}.csv"))
        assert again.exit_code == 0, again.output
        assert "unchanged: 3" in again.output and "added: 0" in again.output
    assert _entity_events(db_session) == events


BAD_DEPARTMENTS = """code,name,parent
ONB1,Licensing,
onb1,Licensing again,
X,Too short,
GOOD,,
KIDS,Kids,NOWHERE
CYA,Cycle A,CYB
CYB,Cycle B,CYA
SELF,Self,SELF
LATE,Child of a later row,LAST
LAST,Defined last,
"""


def test_bad_department_file_lists_every_row_and_writes_nothing(
    cli: Any, db_session: Any, tmp_path: Path
) -> None:
    before = _count(db_session, Department)
    result = cli("import", "departments", str(_write(tmp_path, "d.csv", BAD_DEPARTMENTS)))
    assert result.exit_code == 1
    out = result.output
    assert (
        "row 3, column code: onb1 is also on row 2 (as ONB1: codes are compared without regard"
        " to case)" in out
    )
    assert "row 4, column code: 'X' is not a valid code" in out
    assert "row 5, column name: a department name is required" in out
    assert "row 6, column parent: unknown parent NOWHERE" in out
    assert "row 7, column parent: CYA would be its own ancestor (CYA -> CYB -> CYA)" in out
    assert "row 8, column parent: CYB would be its own ancestor" in out
    assert "row 9, column parent: SELF would be its own ancestor" in out
    assert "nothing imported (7 errors)" in out
    assert not re.search(r"row (2|10|11),", out)  # a parent may come later in the file
    assert _count(db_session, Department) == before


def test_a_file_may_not_make_a_cycle_with_stored_departments(
    db_session: Any, make_department: Any
) -> None:
    top = make_department("TOP")
    make_department("LOW", parent=top)
    plan = plan_file(DepartmentImporter(), "d.csv", b"code,name,parent\nTOP,Top,LOW\n", None, LIMIT)
    assert [str(e) for e in plan.errors] == [
        "row 2, column parent: TOP would be its own ancestor (TOP -> LOW -> TOP)"
    ]


def test_changed_department_is_previewed_with_before_and_after(
    db_session: Any, make_department: Any
) -> None:
    make_department("CITY", "City")
    make_department("DMV", "Motor vehicles")
    content = b"code,name,parent\nDMV,Department of Motor Vehicles,CITY\nCITY,City,\n"
    plan = plan_file(DepartmentImporter(), "d.csv", content, None, LIMIT)
    assert plan.is_valid and plan.count("same") == 1
    (change,) = plan.of("change")
    assert change.before == {"name": "Motor vehicles", "parent": None}
    assert change.after == {"name": "Department of Motor Vehicles", "parent": "CITY"}


def test_active_column_sets_the_status_and_blank_leaves_it(
    db_session: Any, make_department: Any, make_user: Any
) -> None:
    make_department("OLD", is_active=False)
    make_department("DMV")
    content = b"code,name,active\nOLD,Department OLD,yes\nDMV,Department DMV,\nX1,New,maybe\n"
    bad = plan_file(DepartmentImporter(), "d.csv", content, None, LIMIT)
    assert [str(e) for e in bad.errors] == ["row 4, column active: 'maybe' is not yes or no"]
    plan = plan_file(DepartmentImporter(), "d.csv", content[: content.index(b"X1")], None, LIMIT)
    (change,) = plan.of("change")
    assert change.before == {"name": "Department OLD", "parent": None, "active": False}
    assert change.after == {"name": "Department OLD", "parent": None, "active": True}
    assert plan.count("same") == 1
    DepartmentImporter().apply(plan, make_user("admin"))
    assert all(d.is_active for d in db_session.scalars(select(Department)))


BAD_SERVICES = """department,service,channels,journey_stages
NOPE,Permits,web,apply
DMV,,web,apply
DMV,Licences,web;fax|pigeon,apply
DMV,Renewals,web,teleport
DMV,licences,phone,use
DMV,Plates,In person|Mail/paper,Wait/delivery;get help
"""


def test_bad_service_file_lists_every_row_and_writes_nothing(
    cli: Any, db_session: Any, make_department: Any, tmp_path: Path
) -> None:
    make_department("DMV")
    result = cli("import", "services", str(_write(tmp_path, "s.csv", BAD_SERVICES)))
    assert result.exit_code == 1
    out = result.output
    assert "row 2, column department: unknown department NOPE" in out
    assert "row 3, column service: a service name is required" in out
    assert "row 4, column channels: unknown channel 'fax', 'pigeon'" in out
    assert "row 5, column journey_stages: unknown journey stage 'teleport'" in out
    assert (
        "row 6, column service: DMV licences is also on row 4 (as Licences: service names are"
        " compared without regard to case)" in out
    )
    assert "row 7" not in out  # names of the vocabulary work as well as codes
    assert _count(db_session, Service) == 0


def test_changed_service_is_previewed_and_applied(
    db_session: Any, make_department: Any, make_user: Any
) -> None:
    metric_services.ensure_vocabularies()
    dept = make_department("DMV")
    db_session.add(Service(department=dept, name="Licences", provider=""))
    db_session.flush()
    importer = ServiceImporter()
    content = b"department,service,channels\nDMV,licences,web|phone\nDMV,Plates,mail\n"
    plan = plan_file(importer, "s.csv", content, None, LIMIT)
    assert plan.is_valid and plan.count("add") == 1
    (change,) = plan.of("change")
    assert change.before is not None and change.before["channels"] == []
    assert change.after is not None and change.after["channels"] == ["phone", "web"]
    counts = importer.apply(plan, make_user("admin"))
    assert counts == {"services_added": 1, "services_changed": 1, "unchanged": 0}
    assert sorted(c.code for c in dept.services[0].channels) == ["phone", "web"]


def _services_file(count: int, channels: str, prefix: str = "Service") -> bytes:
    rows = [f"D{k % 4},{prefix} {k},{channels},apply,About {k}" for k in range(count)]
    return ("department,service,channels,journey_stages,description\n" + "\n".join(rows)).encode()


def _statements(db_session: Any, run: Callable[[], object]) -> int:
    seen: list[str] = []
    engine = db_session.get_bind()

    def count(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_the_services_import_works_in_sets_whatever_the_number_of_services(
    db_session: Any, make_department: Any, make_user: Any
) -> None:
    """Issue 13: the import issued a handful of queries per service (6,800 lazy loads for
    1,676 services); now adding, re-importing and changing cost the same statements for 20
    services as for 200."""
    metric_services.ensure_vocabularies()
    for k in range(4):
        make_department(f"D{k}")
    admin = make_user("admin")
    importer = ServiceImporter()

    def run(content: bytes, expected: dict[str, int]) -> None:
        plan = plan_file(importer, "s.csv", content, None, LIMIT)
        assert plan.is_valid, plan.errors[:3]
        assert importer.apply(plan, admin) == expected

    costs = []
    for count in (20, 200):
        prefix = f"S{count}"
        first = _services_file(count, "web; phone", prefix)
        changed = _services_file(count, "mail", prefix)
        costs.append((
            _statements(db_session, partial(run, first, {
                "services_added": count, "services_changed": 0, "unchanged": 0})),
            _statements(db_session, partial(run, first, {
                "services_added": 0, "services_changed": 0, "unchanged": count})),
            _statements(db_session, partial(run, changed, {
                "services_added": 0, "services_changed": count, "unchanged": 0})),
        ))  # fmt: skip
    adds, sames, changes = zip(*costs, strict=True)
    # a multi-row INSERT is split into batches of the driver's parameter limit
    assert adds[1] <= adds[0] + 2 and sames[0] == sames[1], costs
    # a change is written through the ORM, version-checked: at most 4 statements a service
    assert changes[1] - changes[0] <= 4 * 180, costs
    service = db_session.scalars(select(Service).where(Service.name == "S200 7")).one()
    assert service.version == 2, service.version
    assert [c.code for c in service.channels] == ["mail"], service.version


def test_an_imported_service_is_stored_and_audited_like_one_made_on_its_page(
    db_session: Any, make_department: Any, make_user: Any
) -> None:
    metric_services.ensure_vocabularies()
    make_department("D0")
    admin = make_user("admin")
    importer = ServiceImporter()
    plan = plan_file(importer, "s.csv", _services_file(1, "web; in person"), None, LIMIT)
    assert importer.apply(plan, admin)["services_added"] == 1
    service = db_session.scalars(select(Service).where(Service.name == "Service 0")).one()
    assert (service.version, service.description) == (1, "About 0")
    assert sorted(c.code for c in service.channels) == ["in_person", "web"]
    assert [s.code for s in service.journey_stages] == ["apply"]
    (event_,) = db_session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "service")
    ).all()
    assert (event_.action, event_.entity_id, event_.actor_id) == (
        "create",
        str(service.id),
        admin.id,
    )
    assert event_.department_id == service.department_id and event_.reason == "import"
    assert event_.after == {"name": "Service 0", "description": "About 0",
                            "channels": ["in_person", "web"], "journey_stages": ["apply"],
                            "version": 1}  # fmt: skip


@pytest.mark.parametrize("role", ["chief", "officer", "viewer"])
def test_only_admins_may_import_structure(
    client: Any, login: Any, make_user: Any, make_department: Any, role: str
) -> None:
    make_department("DMV")
    login(make_user(role, departments=("DMV",)).email)
    assert client.get("/imports/departments").status_code == 403
    assert client.get("/imports/services").status_code == 403


def test_admin_uploads_previews_and_confirms(
    client: Any, login: Any, make_user: Any, db_session: Any
) -> None:
    login(make_user("admin").email)
    assert b"Departments" in client.get("/imports/").data
    content = (ONBOARDING / "departments.csv").read_bytes()
    upload = client.post(
        "/imports/departments",
        data={"file": (io.BytesIO(content), "departments.csv"),
              "csrf_token": csrf_token(client, "/imports/departments")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert upload.status_code == 302
    preview_url = upload.headers["Location"]
    preview = client.get(preview_url).get_data(as_text=True)
    assert "3 to add" in preview and "ONB3: Onboarding Licensing Call Centre" in preview
    assert _count(db_session, Department) == 0
    token = csrf_token(client, preview_url)
    assert client.post(preview_url, data={"csrf_token": token}).status_code == 302
    assert _count(db_session, Department) == 3


def test_names_with_line_breaks_or_tabs_are_refused_with_their_row(
    cli: Any, db_session: Any, make_department: Any, tmp_path: Path
) -> None:
    """Issue 13: control characters in names are refused with the row, nothing written."""
    make_department("DMV")
    departments = 'code,name\nTAB1,"Parks\tand recreation"\nNL1,"Water\nworks"\n'
    result = cli("import", "departments", str(_write(tmp_path, "d.csv", departments)))
    assert result.exit_code == 1
    assert "row 2, column name: the department name contains a tab (U+0009)" in result.output
    assert "row 3, column name: the department name contains a line break (U+000A)" in (
        result.output
    )
    services = 'department,service,channels\nDMV,"Licence\nrenewals",web\nDMVV,Plates,web\n'
    result = cli("import", "services", str(_write(tmp_path, "s.csv", services)))
    assert result.exit_code == 1
    assert "row 2, column service: the service name contains a line break" in result.output
    assert "row 3, column department: unknown department DMVV (did you mean 'DMV'?)" in (
        result.output
    )
    assert _count(db_session, Department) == 1 and _count(db_session, Service) == 0
