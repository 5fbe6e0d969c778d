"""Onboarding in Chromium: the demo admin uploads departments.csv, services.csv and
users.csv through /imports, checks each preview and confirms; a new officer from the file gets a
one-time password (no SMTP here), signs in, chooses a password and sees their department.
Also the officer directory and the API tokens page; axe-core on every page."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from cxprogram.demo.services import DEMO_LOGINS
from tests.browser.conftest import check_accessibility, sign_in

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "onboarding"
OFFICER = "lena.licensing@onboarding.example.test"
NEW_PASSWORD = "lena chooses a long passphrase"


def _login(role: str) -> tuple[str, str]:
    found = next(login for login in DEMO_LOGINS if login.role.value == role)
    return found.email, found.password


def _upload(page: Page, base: str, title: str, file: Path) -> None:
    """Upload a file through /imports, check the preview, confirm."""
    page.goto(base + "/imports/")
    page.locator("main").get_by_role("link", name=title, exact=True).click()
    check_accessibility(page)
    page.locator("input[type=file]").set_input_files(str(file))
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Preview of {file.name}")
    check_accessibility(page)
    page.get_by_role("button", name="Confirm import").click()
    expect(page.get_by_role("status").first).to_contain_text(f"Imported {file.name}")


def _one_time_password(page: Page, base: str, email: str) -> str:
    """The admin finds the user and resets their password (a one-time password shown once)."""
    page.goto(base + "/users")
    page.get_by_label("Name or e-mail contains").fill(email)
    page.get_by_role("button", name="Search").click()
    check_accessibility(page)
    row = page.get_by_role("row").filter(has_text=email)
    row.get_by_role("link", name=re.compile("Manage")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lena Licensing")
    check_accessibility(page)
    page.get_by_role("button", name="Reset password").click()
    check_accessibility(page)
    return page.get_by_test_id("one-time-password").inner_text().strip()


def test_admin_onboards_people_from_files_and_a_new_officer_signs_in(
    page: Page, live_server: str
) -> None:
    sign_in(page, live_server, *_login("admin"))
    _upload(page, live_server, "Departments", FIXTURES / "departments.csv")
    _upload(page, live_server, "Services", FIXTURES / "services.csv")
    page.goto(live_server + "/imports/")
    page.locator("main").get_by_role("link", name="Users", exact=True).click()
    page.locator("input[type=file]").set_input_files(str(FIXTURES / "users.csv"))
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("main")).to_contain_text("4 to add, 0 to change")
    expect(page.get_by_role("table", name=re.compile("Rows to add"))).to_contain_text(OFFICER)
    check_accessibility(page)
    page.get_by_role("button", name="Confirm import").click()
    expect(page.get_by_role("status").first).to_contain_text("4 users created")
    page.goto(live_server + "/users")
    page.get_by_role("button", name="Give a first password to everyone awaiting one").click()
    table = page.get_by_role("table", name=re.compile("One-time passwords"))
    expect(table).to_contain_text(OFFICER)
    check_accessibility(page)
    password = _one_time_password(page, live_server, OFFICER)  # a second one replaces it
    page.get_by_role("button", name=re.compile("Sign out")).click()

    sign_in(page, live_server, OFFICER, password)
    expect(page).to_have_url(live_server + "/account/password")
    page.get_by_label("Current password").fill(password)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page).to_have_url(live_server + "/")
    expect(page.locator("main")).to_contain_text("Onboarding Department of Licensing (ONB1)")
    check_accessibility(page)
    page.goto(live_server + "/departments/ONB1")  # with the services the file brought
    expect(page.locator("main")).to_contain_text("Driver licence renewal")
    check_accessibility(page)


def test_admin_pages_are_accessible(page: Page, live_server: str) -> None:
    sign_in(page, live_server, *_login("admin"))
    for path, heading in (("/users", "Users"), ("/users/new", "Create a user"),
                          ("/users/tokens", "Every API token")):  # fmt: skip
        page.goto(live_server + path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        check_accessibility(page)
    page.goto(live_server + "/users/new")
    page.get_by_label("E-mail address").fill("not-an-officer@example.test")
    page.get_by_label("Full name").fill("No Department")
    page.get_by_label("Role").select_option("officer")
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("alert")).to_contain_text("at least one department")
    check_accessibility(page)


def test_officer_directory_and_expired_link_page(page: Page, live_server: str) -> None:
    sign_in(page, live_server, *_login("officer"))
    page.get_by_role("navigation", name="Primary navigation").get_by_role(
        "link", name="Officers"
    ).click()
    table = page.get_by_role("table", name=re.compile("Active officers and chiefs"))
    expect(table).to_contain_text("Department of Veterans Affairs (VA)")
    expect(page.get_by_role("link", name="Manage")).to_have_count(0)
    check_accessibility(page)
    response = page.goto(live_server + "/reset-password/not-a-real-link")
    assert response is not None and response.status == 410
    expect(page.get_by_role("alert")).to_contain_text("expired or has already been used")
    check_accessibility(page)


def test_a_user_creates_and_revokes_an_api_token(page: Page, live_server: str) -> None:
    sign_in(page, live_server, *_login("chief"))
    page.get_by_role("navigation", name="Primary navigation").get_by_role(
        "link", name="Account"
    ).click()
    page.get_by_role("link", name="Your API tokens").click()
    check_accessibility(page)
    page.get_by_label("Token name").fill("browser robot")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_test_id("new-token")).to_contain_text("cxp_")
    check_accessibility(page)
    page.get_by_role("button", name="Revoke token browser robot").click()
    expect(page.get_by_role("status").first).to_contain_text("is revoked")
    expect(page.get_by_role("row").filter(has_text="browser robot")).to_contain_text("Revoked")
    check_accessibility(page)


def _set_password_page_html(tmp_path: Path) -> str:
    """The set-password form for a live link, rendered by the real app on its own database
    (the demo server has no SMTP, so no link ever leaves it)."""
    from datetime import UTC, datetime

    from cxprogram import create_app
    from cxprogram.auth.models import Role
    from cxprogram.auth.services import create_user
    from cxprogram.extensions import db
    from cxprogram.people.resets import issue_link
    from tests.conftest import make_config

    app = create_app(make_config(f"sqlite:///{tmp_path / 'links.db'}"))
    with app.app_context():
        db.create_all()
        user = create_user("invited@example.test", "Invited Person", Role.VIEWER, None)
        link = issue_link(user, "invite", user, datetime.now(UTC))
        db.session.commit()
        html = app.test_client().get(f"/reset-password/{link.secret}").get_data(as_text=True)
        db.engine.dispose()
    return html


def test_set_password_form_is_accessible(page: Page, live_server: str, tmp_path: Path) -> None:
    html = _set_password_page_html(tmp_path)
    url = live_server + "/reset-password/rendered-by-the-app"
    page.route(url, lambda route: route.fulfill(status=200, content_type="text/html", body=html))
    page.goto(url)  # styles and scripts still come from the live server
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a password")
    expect(page.locator("main")).to_contain_text("For invited@example.test")
    expect(page.get_by_label("New password", exact=True)).to_be_visible()
    check_accessibility(page)
