"""The look of a public-sector tool (issue 12, item 9): the USWDS banner, shown only when the
organization settings say it is a government; an identifier footer naming the organization;
a favicon that every page links and that answers 200; page messages without command-line
flags; and all of it rendered without the database while the database is down."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from cxprogram import create_app
from cxprogram.models import AuditEvent, OrgSettings
from cxprogram.org.settings import DEFAULTS
from tests.conftest import PASSWORD, csrf_token, make_config

ROOT = Path(__file__).resolve().parents[2]
URL = "/admin/organization"
VALID = {
    "name": "City of Example", "fiscal_year_start_month": "7", "due_days": "30",
    "grace_days": "5", "reminder_days_before": "7", "time_zone": "America/Chicago",
    "smtp_sender_name": "CX program",
}  # fmt: skip
BANNER = "An official website of"
ICON_LINK = re.compile(r'<link rel="icon" href="([^"]+)"')


@pytest.fixture
def org(db_session: Any, make_settings: Any) -> OrgSettings:
    settings = make_settings("City of Example")
    db_session.commit()  # a request's rollback must not take the setup with it
    return settings


def _save(client: Any, org: OrgSettings, **changes: str) -> Any:
    data = {**VALID, "version": str(org.version), **changes}
    data["csrf_token"] = csrf_token(client, URL)
    return client.post(URL, data=data)


def test_no_banner_until_the_organization_says_it_is_a_government(
    client: Any, login: Any, make_user: Any, org: OrgSettings, db_session: Any
) -> None:
    assert DEFAULTS.is_government is False
    signed_out = client.get("/sign-in").get_data(as_text=True)
    assert "usa-banner" not in signed_out and BANNER not in signed_out
    assert "City of Example" in _identifier(signed_out)

    admin = make_user("admin")
    login(admin.email)
    response = _save(client, org, is_government="y", government_name="  the City of Example ")
    assert response.status_code == 302, response.get_data(as_text=True)
    db_session.refresh(org)
    assert (org.is_government, org.government_name) == (True, "the City of Example")
    for path in ("/", URL, "/no-such-page"):
        page = client.get(path).get_data(as_text=True)
        banner = page[page.index('<section class="usa-banner"') : page.index("</section>")]
        assert "An official website of the City of Example" in banner, path
        assert page.index("usa-banner") < page.index("<header")  # at the top, above the header
        assert "an official website of the City of Example" in _identifier(page)
    event = db_session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == "org_settings")).one()  # fmt: skip
    assert (event.before["is_government"], event.after["is_government"]) == (False, True)

    assert _save(client, org, government_name="the City of Example").status_code == 302  # untick
    page = client.get("/").get_data(as_text=True)
    assert "usa-banner" not in page and BANNER not in page
    assert "City of Example" in _identifier(page)


def test_a_government_must_be_named_and_the_chief_cannot_change_the_banner(
    app: Flask, client: Any, login: Any, make_user: Any, org: OrgSettings, db_session: Any
) -> None:
    login(make_user("admin").email)
    refused = _save(client, org, is_government="y", government_name=" ")
    text = refused.get_data(as_text=True)
    assert "Name the government the banner speaks for" in text
    assert "usa-form-group--error" in text
    db_session.refresh(org)
    assert org.is_government is False

    chief = app.test_client()
    signed_in = {"email": make_user("chief").email, "password": PASSWORD}
    chief.post("/sign-in", data={**signed_in, "csrf_token": csrf_token(chief)})
    page = chief.get(URL).get_data(as_text=True)
    assert 'name="is_government"' not in page
    assert "Official-website banner: not shown (not a government)" in page
    assert _save(chief, org, is_government="y", government_name="Anyone").status_code == 302
    db_session.refresh(org)
    assert org.is_government is False and org.government_name != "Anyone"


def test_every_page_links_a_favicon_that_answers(
    app: Flask, client: Any, login: Any, make_user: Any, org: OrgSettings
) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    login(make_user("admin").email)
    rules = [r for r in app.url_map.iter_rules() if "GET" in (r.methods or set())]
    paths = sorted({r.rule for r in rules if not r.arguments and r.endpoint != "static"})
    pages = 0
    for path in [*paths, "/no-such-page"]:
        response = client.get(path)
        if 300 <= response.status_code < 400 or response.mimetype != "text/html":
            continue  # redirects, files, JSON
        pages += 1
        links = ICON_LINK.findall(response.get_data(as_text=True))
        assert len(links) == 2, path
        for href in links:
            assert client.get(href).status_code == 200, (path, href)
    assert pages > 10


def test_the_page_with_no_database_has_the_identifier_and_defaults(tmp_path: Path) -> None:
    app = create_app(make_config(f"sqlite:///{tmp_path}/missing/folder/cx.db"))
    page = app.test_client().get("/sign-in")
    assert page.status_code == 503
    text = page.get_data(as_text=True)
    assert "The database is not answering" in text
    assert DEFAULTS.name in _identifier(text)
    assert "usa-banner" not in text  # the default: not a government
    assert app.test_client().get("/favicon.ico").status_code == 200  # needs no database


def test_an_officer_without_department_is_refused_in_plain_words(
    client: Any, login: Any, make_user: Any
) -> None:
    login(make_user("admin").email)
    data = {"email": "x@example.test", "name": "X", "role": "officer"}
    data["csrf_token"] = csrf_token(client, "/users/new")
    page = client.post("/users/new", data=data).get_data(as_text=True)
    assert "An officer must be assigned to at least one department." in page
    assert not FLAG.search(_main(page))


FLAG = re.compile(r"(?<![\w-])--[a-z]")  # --department; not CSS's usa-alert--slim


def test_no_message_outside_the_commands_names_a_command_line_flag() -> None:
    """Every string in the modules that answer pages, and every template's text: no `--x`.
    The commands (cli.py) name their flags; the API (not a page) may name a command."""
    found = []
    for path in (ROOT / "cxprogram").rglob("*.py"):
        if path.name == "cli.py" or "api" in path.relative_to(ROOT).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and (FLAG.search(node.value))
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:60]}")
    for path in (ROOT / "templates").rglob("*.html"):
        text = re.sub(r'(class|id|href|for|aria-[a-z]+)="[^"]*"', "", path.read_text())
        found += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in FLAG.finditer(text)]
    assert found == []


def _identifier(page: str) -> str:
    start = page.index('<footer class="usa-identifier">')
    return page[start : page.index("</footer>", start)]


def _main(page: str) -> str:
    return page[page.index("<main") : page.index("</main>")]
