"""Pure reading of audit events: what changed between before and after."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Change:
    """One field of a record, before and after the change (None when absent)."""

    field: str
    before: str
    after: str


def _text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, str):
        return value or "(empty)"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return (
        json.dumps(value, sort_keys=True, default=str)
        if isinstance(value, dict | list)
        else str(value)
    )


def compute_changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[Change]:
    """The fields whose value differs (every field of a creation or deletion), in key order."""
    before, after = before or {}, after or {}
    fields = list(dict.fromkeys([*before, *after]))
    return [
        Change(name, _text(before.get(name)), _text(after.get(name)))
        for name in fields
        if before.get(name) != after.get(name) and name != "version"
    ]
