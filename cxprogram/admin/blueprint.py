"""The administration blueprint: its view modules (`views` for the organization settings,
`department_views`, `service_views`) add their routes to this one object."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
