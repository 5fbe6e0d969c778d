"""`cxprogram demo`: load the demonstration organization and print the logins."""

from __future__ import annotations

import click

from cxprogram.demo import services
from cxprogram.extensions import db


@click.command("demo")
@click.option("--reset", is_flag=True, help="Delete all data first, then load the demo.")
def demo_command(reset: bool) -> None:
    """Load a demo organization from real A-11 data, with strategies and one user per role."""
    if reset:
        services.reset_all()
    if services.is_loaded():
        click.echo("The demo is already loaded (use --reset to load it again).")
    else:
        summary = services.load_demo()
        db.session.commit()
        click.echo(
            f"Loaded {len(summary.department_codes)} departments, "
            f"{len(summary.period_labels)} periods, {summary.observations_created} observations."
        )
    click.echo("Demo logins (role, e-mail, password):")
    for login in services.DEMO_LOGINS:
        where = f" ({', '.join(login.departments)})" if login.departments else ""
        click.echo(f"  {login.role.value:<8} {login.email}  {login.password}{where}")
