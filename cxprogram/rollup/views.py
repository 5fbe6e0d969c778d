"""The chief's "Recompute now": roll one period up at once instead of at the next refresh."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from cxprogram.auth.models import Role
from cxprogram.core import inputs
from cxprogram.core.fiscal import PeriodLabelError, parse_period
from cxprogram.core.locks import job_lock
from cxprogram.core.permissions import roles
from cxprogram.extensions import db
from cxprogram.metrics.models import ReportingPeriod
from cxprogram.metrics.queries import period_by_label
from cxprogram.rollup import services
from cxprogram.rollup.forms import RecomputeForm

bp = Blueprint("rollup", __name__, url_prefix="/rollups")


@bp.route("/<period>/recompute", methods=["POST"])
@roles(Role.CHIEF, Role.ADMIN)
def recompute(period: str) -> Response:
    """Recompute the period's snapshot now, under the rollup lock the scheduler's jobs take,
    then go back to the (local) page the request came from."""
    form = RecomputeForm()
    if not form.validate_on_submit():
        abort(400)
    row = _period_or_404(period)
    with job_lock(services.ROLLUP_LOCK):  # commit inside: the lock covers the stored version
        outcome = services.recompute_period(row, current_user, datetime.now(UTC))
        db.session.commit()
    flash(_message(row, outcome), "success" if outcome.is_new else "info")
    return redirect(safe_local_url(form.next.data))


def _period_or_404(raw: str) -> ReportingPeriod:
    try:
        label = parse_period(raw).label
    except PeriodLabelError:
        abort(404)
    row = period_by_label(label)
    if row is None:
        abort(404)
    return row


def _message(period: ReportingPeriod, outcome: services.RollupOutcome) -> str:
    version = outcome.snapshot.version
    if outcome.is_new:
        return f"Recomputed the rollup of {period.label}: version {version}."
    if period.is_closed and outcome.snapshot.is_final:
        return f"{period.label} is closed: its final rollup (version {version}) stays as it is."
    return f"The rollup of {period.label} is already current (version {version})."


def safe_local_url(target: str | None) -> str:
    """The target when it is a path on this site, else the home page (no open redirect)."""
    if not target or inputs.CONTROL.search(target) or "\\" in target:
        return url_for("main.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("main.home")
    return target
