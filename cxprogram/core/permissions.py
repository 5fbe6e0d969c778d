"""Default-deny access control: every view declares who may use it.

A view is decorated with ``@public``, ``@signed_in`` or ``@roles(...)``. A request to an
endpoint that declares nothing is refused with 403 before the view runs, so a forgotten
declaration fails closed. Department-level checks ("may this officer edit VA?") happen in
the view after loading the department, through ``can_edit_department`` and friends.

Who reads which department is decided in one place, ``readable_department_ids``; every
page, export, history and API answer that shows department data goes through it, directly
or through ``limit_to_readable`` (queries) and ``can_read_department`` (one department).
The organization's rollup and quarterly report publish a few figures of every department
to a wider audience (officers read all of them): their scope is ``published_department_ids``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, abort, current_app, g, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import ColumnElement, Select
from sqlalchemy.orm import QueryableAttribute
from werkzeug.wrappers import Response

from cxprogram.auth.models import Role, User

F = TypeVar("F", bound=Callable[..., Any])
Q = TypeVar("Q", bound=Select[Any])

ATTRIBUTE = "_cx_permission"


@dataclass(frozen=True)
class Permission:
    """Who may call a view: anyone, any signed-in user, or the listed roles."""

    is_public: bool = False
    roles: frozenset[Role] = frozenset()
    needs_token: bool = False

    def allows(self, user: Any) -> bool:
        """True when this user (possibly anonymous) may call the view."""
        if self.is_public:
            return True
        if not getattr(user, "is_authenticated", False):
            return False
        if self.needs_token and not g.get("auth_via_token", False):
            return False
        return not self.roles or user.role in self.roles

    def describe(self) -> str:
        """A short text for the permission matrix and the docs."""
        if self.is_public:
            return "public"
        if self.needs_token:
            return "api:" + (",".join(sorted(r.value for r in self.roles)) or "any")
        return ",".join(sorted(r.value for r in self.roles)) or "signed-in"


def _declare(permission: Permission) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        setattr(view, ATTRIBUTE, permission)
        return view

    return decorator


def public(view: F) -> F:
    """Anyone, signed in or not (sign-in page, static assets)."""
    return _declare(Permission(is_public=True))(view)


def signed_in(view: F) -> F:
    """Any signed-in user, whatever the role."""
    return _declare(Permission())(view)


def roles(*allowed: Role) -> Callable[[F], F]:
    """Signed-in users holding one of these roles."""
    return _declare(Permission(roles=frozenset(allowed)))


def api(*allowed: Role) -> Callable[[F], F]:
    """JSON API: a valid bearer token of a user holding one of these roles (any if none)."""
    return _declare(Permission(roles=frozenset(allowed), needs_token=True))


def permission_of(view: Callable[..., Any] | None) -> Permission | None:
    """The permission a view declared, or None when it declared nothing."""
    return getattr(view, ATTRIBUTE, None)


def enforce() -> Response | None:
    """before_request hook: refuse undeclared endpoints, send anonymous users to sign in."""
    if request.endpoint is None:
        return None  # no route matched: the 404 handler answers
    view = current_app.view_functions.get(request.endpoint)
    permission = permission_of(view)
    if permission is None:
        current_app.logger.error("endpoint %s declares no permission", request.endpoint)
        abort(403)
    if permission.allows(current_user):
        return None
    if permission.needs_token and not g.get("auth_via_token", False):
        abort(401)
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    abort(403)


def readable_department_ids(user: User) -> set[int] | None:
    """The ids of the departments this user reads; None means every department (SPEC 2)."""
    if user.role == Role.CHIEF:
        return None
    if user.role == Role.OFFICER:
        # Their own departments in full; of the others, only what the organization's rollup
        # publishes (published_department_ids), never notes, plans, history or exports.
        return set(user.department_ids)
    if user.role == Role.VIEWER:
        return None if user.sees_all_departments else set(user.department_ids)
    return set()  # administrators, and any role not listed, read no department's data


def published_department_ids(user: User) -> set[int] | None:
    """The departments whose published rollup figures (scores, consistency, strategy
    effects with the strategy's title) this user reads; None means every department.

    This is the scope of the organization's rollup and quarterly report only: officers
    read every department's figures there (SPEC 2), and their own departments' details
    through ``readable_department_ids``."""
    if user.role == Role.OFFICER:
        return None
    return readable_department_ids(user)


def limit_to_readable(
    query: Q, column: ColumnElement[int] | QueryableAttribute[int], user: User
) -> Q:
    """The query limited to rows whose department (``column``) this user reads."""
    ids = readable_department_ids(user)
    return query if ids is None else query.where(column.in_(sorted(ids)))


def can_read_department(user: User, department_id: int) -> bool:
    """True when this user reads this department's data."""
    ids = readable_department_ids(user)
    return ids is None or department_id in ids


def editable_department_ids(user: User | None) -> set[int] | None:
    """The departments this user edits: None for every one (chiefs, and the command line,
    which runs with no user), the assigned ones for officers, none for other roles."""
    if user is None or user.role == Role.CHIEF:
        return None
    if user.role == Role.OFFICER:
        return set(user.department_ids)
    return set()


def can_edit_department(user: User, department_id: int) -> bool:
    """Chiefs edit every department; officers only those they are assigned to."""
    editable = editable_department_ids(user)
    return editable is None or department_id in editable


def require_edit(user: User, department_id: int) -> None:
    """Abort with 403 unless the user may edit this department."""
    if not can_edit_department(user, department_id):
        abort(403)


def init_app(app: Flask) -> None:
    """Install the default-deny hook and declare the static endpoint public."""
    app.before_request(enforce)
    static_view = app.view_functions.get("static")
    if static_view is not None:

        @public
        def static(filename: str) -> Response:
            return app.send_static_file(filename)

        app.view_functions["static"] = static
