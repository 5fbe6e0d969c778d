"""The metrics blueprint and the period loader its page modules share."""

from __future__ import annotations

from flask import Blueprint, abort

from cxprogram.metrics.models import ReportingPeriod
from cxprogram.metrics.queries import period_by_label

bp = Blueprint("metrics", __name__)


def load_period(label: str) -> ReportingPeriod:
    """The period with this label, or 404."""
    period = period_by_label(label)
    if period is None:
        abort(404)
    return period
