"""Exports of observations and strategies as CSV and XLSX (issue 3, item 6)."""
