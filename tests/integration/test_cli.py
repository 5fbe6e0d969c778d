"""Console commands: users create, demo."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from cxprogram.models import Department, Strategy, User
from tests.conftest import PASSWORD


def test_users_create_reads_password_from_stdin(
    runner: Any, make_department: Any, db_session: Any
) -> None:
    make_department("DMV")
    result = runner.invoke(
        args=["users", "create", "--email", "Pat@Example.test", "--name", "Pat",
              "--role", "officer", "--department", "DMV", "--password-stdin"],
        input=PASSWORD + "\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    user = db_session.scalar(select(User).where(User.email == "pat@example.test"))
    assert user.role.value == "officer"
    assert [d.code for d in user.departments] == ["DMV"]


def test_users_create_refuses_unknown_department_and_weak_password(
    runner: Any, db_session: Any
) -> None:
    args = ["users", "create", "--email", "a@example.test", "--name", "A", "--role", "officer"]
    unknown = runner.invoke(
        args=[*args, "--department", "NOPE", "--password-stdin"], input=PASSWORD
    )
    assert unknown.exit_code == 1, unknown.output
    assert "Unknown department code(s): NOPE" in unknown.output
    weak = runner.invoke(
        args=["users", "create", "--email", "b@example.test", "--name", "B", "--role", "chief",
              "--password-stdin"],
        input="short\n",
    )  # fmt: skip
    assert weak.exit_code == 1, weak.output
    assert "at least 12 characters" in weak.output
    assert db_session.scalar(select(func.count(User.id))) == 0


def test_demo_loads_real_data_strategies_and_one_user_per_role(
    runner: Any, db_session: Any
) -> None:
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "chief@demo.cxprogram.test" in result.output
    roles = set(db_session.scalars(select(User.role)))
    assert {r.value for r in roles} == {"admin", "chief", "officer", "viewer"}
    assert db_session.scalar(select(func.count(Department.id))) == 18
    departments_with_strategies = db_session.scalar(
        select(func.count(func.distinct(Strategy.department_id)))
    )
    assert departments_with_strategies == 18
    strategy = db_session.scalars(select(Strategy)).first()
    assert strategy.milestones and strategy.metric_links and strategy.effective_date
    again = runner.invoke(args=["demo"])
    assert "already loaded" in again.output
    reset = runner.invoke(args=["demo", "--reset"])
    assert reset.exit_code == 0, reset.output
    assert db_session.scalar(select(func.count(User.id))) == 4
