"""Reminders by e-mail: officers before the due date, the chief once the grace days pass."""
