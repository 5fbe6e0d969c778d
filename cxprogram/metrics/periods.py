"""Period helpers shared by every feature: the reporting window and when a period is due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from cxprogram.core.fiscal import FiscalQuarter, due_date, parse_period, quarter_of
from cxprogram.metrics.queries import latest_open_period
from cxprogram.org.queries import organization_settings
from cxprogram.org.settings import OrganizationSettings


@dataclass(frozen=True)
class ReportingWindow:
    """The period being reported and when its data is due."""

    label: str
    period_id: int | None
    start: date
    end: date
    due: date
    days_to_due: int


def period_due_date(label: str, org: OrganizationSettings | None = None) -> date:
    """When the data of the period with this label is due, by the organization's calendar."""
    org = org or organization_settings()
    return due_date(parse_period(label), org.fiscal_year_start_month, org.due_days)


def reporting_window(today: date) -> ReportingWindow:
    """The latest open period on record, else the quarter that ended most recently."""
    org = organization_settings()
    period = latest_open_period()
    start_month = org.fiscal_year_start_month
    quarter: FiscalQuarter = (
        parse_period(period.label) if period else quarter_of(today, start_month).previous()
    )
    due = due_date(quarter, start_month, org.due_days)
    return ReportingWindow(
        label=quarter.label,
        period_id=period.id if period else None,
        start=quarter.start(start_month),
        end=quarter.end(start_month),
        due=due,
        days_to_due=(due - today).days,
    )
