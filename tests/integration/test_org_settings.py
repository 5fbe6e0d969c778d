"""The organization's settings: one reader, the defaults declared once."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from cxprogram.core.fiscal import FiscalQuarter, due_date, quarter_of
from cxprogram.metrics.periods import period_due_date, reporting_window
from cxprogram.org import services as org_services
from cxprogram.org.queries import organization_settings
from cxprogram.org.settings import DEFAULTS, OrganizationSettings


def test_before_any_row_the_reader_gives_the_defaults(db_session: Any) -> None:
    assert organization_settings() == DEFAULTS
    assert (DEFAULTS.fiscal_year_start_month, DEFAULTS.due_days) == (10, 30)  # SPEC 3


def test_a_new_row_takes_its_column_defaults_from_the_same_constants(db_session: Any) -> None:
    row = org_services.ensure_settings()
    assert {name: getattr(row, name) for name in asdict(DEFAULTS)} == asdict(DEFAULTS)
    assert organization_settings() == DEFAULTS


def test_the_reader_and_the_period_helpers_follow_the_stored_row(db_session: Any) -> None:
    row = org_services.ensure_settings("City of Example")
    row.fiscal_year_start_month, row.due_days, row.grace_days = 7, 45, 2
    db_session.flush()
    settings = organization_settings()
    assert isinstance(settings, OrganizationSettings)
    assert (settings.name, settings.fiscal_year_start_month, settings.due_days) == (
        "City of Example", 7, 45,
    )  # fmt: skip
    assert settings.grace_days == 2
    # FY2024-Q1 with a July start is July to September 2023: due 45 days after its end
    assert period_due_date("FY2024-Q1") == date(2023, 11, 14)
    window = reporting_window(date(2023, 11, 1))  # no open period: the quarter that ended
    assert (window.label, window.start, window.end) == (
        "FY2024-Q1", date(2023, 7, 1), date(2023, 9, 30),
    )  # fmt: skip
    assert (window.due, window.days_to_due, window.period_id) == (date(2023, 11, 14), 13, None)


def test_the_fiscal_calendar_defaults_are_the_organization_defaults() -> None:
    quarter = FiscalQuarter(2024, 1)
    assert quarter.start() == quarter.start(DEFAULTS.fiscal_year_start_month)
    assert quarter_of(date(2023, 10, 1)) == quarter
    assert due_date(quarter) == due_date(quarter, 10, DEFAULTS.due_days)
