"""The strategies blueprint and what its view modules share: who writes, how a strategy is
loaded with its access check, and when a department's strategies may be changed.

`views` (list, detail, create, edit, cancel) and `activity` (progress updates, milestones)
both import from here, so neither imports the other's module to join the blueprint.
"""

from __future__ import annotations

from flask import Blueprint, abort, make_response
from flask_login import current_user

from cxprogram.auth.models import Role
from cxprogram.core.errors import render_error
from cxprogram.core.permissions import can_read_department, require_edit
from cxprogram.extensions import db
from cxprogram.org.models import Department
from cxprogram.review.queries import strategy_lock_reason
from cxprogram.strategies.models import Strategy, StrategyStatus

bp = Blueprint("strategies", __name__, url_prefix="/strategies")
WRITERS = (Role.CHIEF, Role.OFFICER)


def load_strategy(strategy_id: int) -> Strategy:
    """The strategy, or 404; 403 unless the user may read its department."""
    strategy = db.session.get(Strategy, strategy_id)
    if strategy is None:
        abort(404)
    if not can_read_department(current_user, strategy.department_id):
        abort(403)
    return strategy


def require_writable(department: Department, strategy: Strategy | None = None) -> None:
    """403 unless the user may edit the department's strategies now (plan lock, cancelled)."""
    require_edit(current_user, department.id)
    reason = strategy_lock_reason(current_user, department)
    if reason is None and strategy is not None and strategy.status == StrategyStatus.CANCELLED:
        reason = "This strategy is cancelled: it is kept, read-only, for the record."
    if reason is not None:
        abort(make_response(render_error(403, reason)))
