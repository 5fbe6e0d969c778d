"""The users import: all or nothing with every bad row named, re-import changes nothing,
changes of existing users previewed, new users without a usable password, admin only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from cxprogram.auth.models import Role, User
from cxprogram.imports.framework import apply_plan, plan_file
from cxprogram.imports.users_import import user_importer
from cxprogram.models import AuditEvent
from tests.conftest import csrf_token

GOOD = (
    "email,name,role,departments\n"
    "ada@example.test,Ada Lovelace,officer,DMV;VA\n"
    "Bob@Example.test,Bob Builder,viewer,\n"
    "cy@example.test,Cy Chief,chief,\n"
    "dee@example.test,Dee Officer,officer,VA|dmv\n"
)


def _plan(text: str, actor: Any = None) -> Any:
    return plan_file(user_importer(), "users.csv", text.encode(), actor, 1_000_000)


def _count_users(db_session: Any) -> int:
    return int(db_session.scalar(select(func.count(User.id))))


def test_every_bad_row_is_listed_and_nothing_is_written(
    make_department: Any, make_user: Any, db_session: Any
) -> None:
    make_department("DMV")
    make_user("admin")
    bad = (
        "email,name,role,departments\n"
        "not-an-address,Nobody,viewer,\n"  # row 2
        "ok@example.test,Ok,wizard,\n"  # row 3
        "far@example.test,Far,officer,DMV;NOPE\n"  # row 4
        "lone@example.test,Lone,officer,\n"  # row 5
        "twin@example.test,Twin,viewer,\n"  # row 6
        "TWIN@example.test,Twin again,viewer,\n"  # row 7
        "good@example.test,Good,officer,DMV\n"  # row 8
    )
    before = _count_users(db_session)
    plan = _plan(bad)
    found = {(e.row, e.column) for e in plan.errors}
    assert found == {(2, "email"), (3, "role"), (4, "departments"), (5, "departments"),
                     (7, "email")}  # fmt: skip
    reasons = " ".join(e.reason for e in plan.errors)
    assert "unknown role 'wizard'" in reasons and "unknown department 'NOPE'" in reasons
    assert "already in row 6" in reasons and "an officer needs a department" in reasons
    assert not plan.is_valid
    assert _count_users(db_session) == before


def test_command_lists_bad_rows_exits_1_and_writes_nothing(
    app: Any, runner: Any, tmp_path: Path, make_department: Any, db_session: Any
) -> None:
    make_department("DMV")
    file = tmp_path / "users.csv"
    file.write_text("email,name,role,departments\nx@example.test,X,officer,ZZZ\n")
    before = _count_users(db_session)
    with app.app_context():  # the console script pushes one; the test runner does not
        result = runner.invoke(args=["import", "users", str(file)])
    assert result.exit_code == 1
    assert "row 2, column departments: unknown department 'ZZZ'" in result.output
    assert _count_users(db_session) == before


def test_import_creates_users_without_password_and_reimport_changes_nothing(
    app: Any, runner: Any, tmp_path: Path, make_department: Any, db_session: Any
) -> None:
    make_department("DMV")
    make_department("VA")
    file = tmp_path / "users.csv"
    file.write_text(GOOD)
    with app.app_context():
        result = runner.invoke(args=["import", "users", str(file)])
    assert result.exit_code == 0, result.output
    assert "users created: 4" in result.output
    ada = db_session.scalar(select(User).where(User.email == "ada@example.test"))
    assert ada.role == Role.OFFICER and sorted(d.code for d in ada.departments) == ["DMV", "VA"]
    assert not ada.has_password
    bob = db_session.scalar(select(User).where(User.email == "bob@example.test"))
    assert bob.sees_all_departments
    events = db_session.scalar(select(func.count(AuditEvent.id)))
    with app.app_context():
        again = runner.invoke(args=["import", "users", str(file)])
    assert (
        again.exit_code == 0
        and "users created: 0, users changed: 0, users unchanged: 4" in again.output
    )
    assert db_session.scalar(select(func.count(AuditEvent.id))) == events + 1  # the import itself


def test_changes_to_existing_users_are_previewed_then_applied(
    make_department: Any, make_user: Any, db_session: Any
) -> None:
    make_department("DMV")
    make_department("VA")
    make_user("officer", email="ada@example.test", departments=("DMV",))
    admin = make_user("admin")
    plan = _plan(GOOD, admin)
    assert plan.is_valid, plan.errors
    change = plan.of("change")[0]
    assert change.label == "ada@example.test"
    assert change.before["departments"] == "DMV" and change.after["departments"] == "DMV, VA"
    assert change.before["name"] == "Test officer" and change.after["name"] == "Ada Lovelace"
    counts = apply_plan(user_importer(), plan, admin)
    assert counts == {"users_created": 3, "users_changed": 1, "users_unchanged": 0}
    ada = db_session.scalar(select(User).where(User.email == "ada@example.test"))
    assert ada.name == "Ada Lovelace" and ada.has_password  # an existing password is kept


def test_a_file_cannot_demote_the_last_admin(make_user: Any, db_session: Any) -> None:
    admin = make_user("admin", email="only.admin@example.test")
    plan = _plan(f"email,name,role,departments\n{admin.email},Only,viewer,\n", admin)
    assert [(e.row, e.column) for e in plan.errors] == [(2, "role")]
    assert "no active administrator" in plan.errors[0].reason


def test_only_admins_may_upload_users(client: Any, login: Any, make_user: Any) -> None:
    login(make_user("chief").email)
    assert client.get("/imports/users").status_code == 403


def test_upload_preview_and_confirm_through_the_pages(
    client: Any, login: Any, make_user: Any, make_department: Any, db_session: Any
) -> None:
    make_department("DMV")
    make_department("VA")
    login(make_user("admin").email)
    from io import BytesIO

    token = csrf_token(client, "/imports/users")
    upload = {"csrf_token": token, "file": (BytesIO(GOOD.encode()), "users.csv")}
    response = client.post("/imports/users", data=upload, content_type="multipart/form-data")
    assert response.status_code == 302
    preview = client.get(response.headers["Location"])
    page = preview.get_data(as_text=True)
    assert "4 to add" in page and "ada@example.test" in page
    assert _count_users(db_session) == 1
    confirm = client.post(response.headers["Location"], data={"csrf_token": token})
    assert confirm.status_code == 302
    assert _count_users(db_session) == 5
