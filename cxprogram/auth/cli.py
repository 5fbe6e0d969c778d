"""`cxprogram users ...` commands."""

from __future__ import annotations

import sys

import click

from cxprogram.auth import services
from cxprogram.auth.models import Role
from cxprogram.extensions import db


@click.group("users")
def users_cli() -> None:
    """Manage users."""


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--department", "departments", multiple=True, help="Department code (repeatable).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user_command(
    email: str, name: str, role: str, departments: tuple[str, ...], password_stdin: bool
) -> None:
    """Create a user; the password is read from standard input."""
    if not password_stdin:
        raise click.UsageError("Pass --password-stdin and give the password on standard input.")
    if role == Role.OFFICER.value and not departments:  # the flag is named here, not in pages
        raise click.UsageError("An officer needs at least one --department CODE.")
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = services.create_user(email, name, Role(role), password, list(departments))
    except services.UserError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Created {user.role.value} {user.email} (id {user.id}).")


@click.group("tokens")
def tokens_cli() -> None:
    """Manage API tokens."""


@tokens_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", default="cli", help="A label to recognise the token by.")
def create_token_command(email: str, name: str) -> None:
    """Print a new API token for that user (shown only this once)."""
    from sqlalchemy import select

    from cxprogram.auth.models import User
    from cxprogram.auth.tokens import create_token

    user = db.session.scalar(select(User).where(User.email == services.normalise_email(email)))
    if user is None or not user.is_active:
        raise click.ClickException(f"No active user with e-mail {email}.")
    secret = create_token(user, name)
    db.session.commit()
    click.echo(secret)
