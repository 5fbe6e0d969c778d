"""The organization's settings (SPEC 3) as one frozen value, with the defaults declared once."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OrganizationSettings:
    """Name, fiscal calendar, reminder days, time zone, mail sender name and the banner."""

    name: str = "Our organization"
    fiscal_year_start_month: int = 10  # the U.S. federal year; a city often uses 7
    due_days: int = 30  # days after a quarter's end when its data is due
    grace_days: int = 5  # days after the due date before the chief hears of late departments
    reminder_days_before: int = 7
    time_zone: str = "America/New_York"
    smtp_sender_name: str = "cxprogram"
    # The USWDS banner ("An official website of ...") is a claim only a government may make:
    # off until an administrator says the organization is one, and names it.
    is_government: bool = False
    government_name: str = "the United States government"


# The one place the defaults are written: the model's column defaults, the fiscal calendar's
# parameters and the reader (when no row is stored yet) all take them from here.
DEFAULTS = OrganizationSettings()
