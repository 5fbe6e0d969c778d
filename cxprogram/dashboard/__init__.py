"""The organization dashboard, the department drill-down and the method page."""
