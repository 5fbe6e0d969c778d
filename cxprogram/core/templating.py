"""Template globals: the organization's name, its government banner and the navigation for
the signed-in role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, g, request
from flask_login import current_user

from cxprogram.auth.models import Role
from cxprogram.org.queries import organization_settings
from cxprogram.org.settings import DEFAULTS, OrganizationSettings


@dataclass(frozen=True)
class NavItem:
    """One link of the primary navigation."""

    endpoint: str
    label: str
    roles: frozenset[Role]


# Administrators run the organization's setup and have no special view of the data (SPEC 2):
# their menu leads to the setup pages; the data pages stay reachable by address.
_DATA_ROLES = frozenset({Role.CHIEF, Role.OFFICER, Role.VIEWER})

NAV: tuple[NavItem, ...] = (
    NavItem("main.home", "Home", frozenset(Role)),
    NavItem("dashboard.view_dashboard", "Dashboard", _DATA_ROLES),
    NavItem("main.departments", "Departments", _DATA_ROLES),
    NavItem("main.metrics", "Metrics", _DATA_ROLES),
    NavItem("metrics.list_periods", "Periods", _DATA_ROLES),
    NavItem("strategies.list_strategies", "Strategies", _DATA_ROLES),
    NavItem("review.list_queue", "Review queue", frozenset({Role.CHIEF, Role.VIEWER})),
    NavItem("review.view_coverage", "Coverage", _DATA_ROLES),
    NavItem("imports.list_imports", "Import", frozenset({Role.CHIEF, Role.OFFICER, Role.ADMIN})),
    NavItem("exports.list_exports", "Export", _DATA_ROLES),
    NavItem("reports.list_reports", "Reports", _DATA_ROLES),
    NavItem("admin.edit_settings", "Organization", frozenset({Role.ADMIN, Role.CHIEF})),
    NavItem("admin.list_departments", "Departments", frozenset({Role.ADMIN})),
    NavItem("people.list_officers", "Officers", frozenset(Role)),
    NavItem("people.list_users", "Users", frozenset({Role.ADMIN})),
    NavItem("auth.change_password", "Account", frozenset(Role)),
)


def navigation() -> list[NavItem]:
    """The links the signed-in user's role may follow."""
    if not current_user.is_authenticated:
        return []
    return [item for item in NAV if current_user.role in item.roles]


def org_name() -> str:
    """The organization's name from settings (a default before any is stored)."""
    return organization_settings().name or DEFAULTS.name


def banner_government(settings: OrganizationSettings) -> str | None:
    """Whom the "An official website of ..." banner names; None: no banner (not a government)."""
    name = settings.government_name.strip()
    return name if settings.is_government and name else None


def context() -> dict[str, Any]:
    """Values every template can use (the defaults, no query, while the database is down)."""
    if g.get("database_unavailable"):
        settings, nav_items = DEFAULTS, []
    else:
        settings, nav_items = organization_settings(), navigation()
    return {
        "org_name": settings.name or DEFAULTS.name,
        "banner_government": banner_government(settings),
        "nav_items": nav_items,
        "current_endpoint": request.endpoint,
    }


def init_app(app: Flask) -> None:
    """Register the context processor."""
    app.context_processor(context)
