"""Names beside the codes of a rollup document: department names and parents, metric names
and units, strategy titles. Pure.

They are joined when the document is read (document.snapshot_document), not stored in the
snapshot: a name is not an input of any number, so a rename neither makes a new snapshot
version nor leaves a closed period's final snapshot showing the old name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Names:
    """What the document names, as it is now: department code -> (name, parent code),
    metric code -> (name, unit), strategy id -> title."""

    departments: dict[str, tuple[str, str | None]]
    metrics: dict[str, tuple[str, str | None]]
    strategies: dict[int, str]
    short_names: dict[str, str] = field(default_factory=dict)  # department code -> short name


def named_codes(document: dict[str, Any]) -> set[str]:
    """Every department code that appears in an expanded document."""
    codes = {e["department"] for e in document.get("strategy_effects", [])}
    for block in document.get("metrics", {}).values():
        codes.update(block.get("departments") or {})
        codes.update(((block.get("decomposition") or {}).get("departments")) or {})
    return codes


def add_names(document: dict[str, Any], names: Names) -> dict[str, Any]:
    """The expanded document with department names, metric names and units and strategy
    titles beside the codes and ids (read now: a rename changes no snapshot)."""
    departments = {
        code: {"name": found[0], "parent": found[1], "short_name": names.short_names.get(code)}
        if (found := names.departments.get(code))
        else {"name": code, "parent": None, "short_name": None}
        for code in sorted(named_codes(document))
    }  # fmt: skip
    metrics = {}
    for code, block in document["metrics"].items():
        name, unit = names.metrics.get(code, (code, None))
        metrics[code] = {"name": name, "unit": unit, **block}
    effects = [
        {**effect, "title": names.strategies.get(effect["strategy_id"]),
         "department_name": departments[effect["department"]]["name"]}
        for effect in document["strategy_effects"]
    ]  # fmt: skip
    return {**document, "departments": departments, "metrics": metrics,
            "strategy_effects": effects}  # fmt: skip
