"""The rollup document (SPEC 6) of a snapshot: what GET /api/v1/rollups/{period} returns
and every page and the quarterly PDF read, so that all of them agree number for number.

The stored result expanded, the snapshot block with its freshness (at read time), and the
names of what it mentions as they are now (names are not inputs: a rename makes no new
snapshot).
"""

from __future__ import annotations

from typing import Any

from cxprogram.auth.models import User
from cxprogram.core.permissions import published_department_ids
from cxprogram.org.queries import codes_of
from cxprogram.rollup.compose import expand_rollup
from cxprogram.rollup.freshness import snapshot_freshness
from cxprogram.rollup.models import RollupSnapshot
from cxprogram.rollup.names import add_names
from cxprogram.rollup.queries import document_names


def snapshot_document(snapshot: RollupSnapshot) -> dict[str, Any]:
    """The document of this snapshot."""
    result = expand_rollup(snapshot.result)
    document = {
        "period": result["period"],
        "previous_period": result["previous_period"],
        "snapshot": {
            "version": snapshot.version,
            "computed_at": snapshot.computed_at.isoformat(),
            "inputs_hash": snapshot.inputs_hash,
            "is_final": snapshot.is_final,
            **snapshot_freshness(snapshot),  # newer_data_waits, data_changed_at
        },
        **{k: v for k, v in result.items() if k not in ("period", "previous_period")},
    }
    return add_names(document, document_names(document))


def published_document(document: dict[str, Any], user: User) -> dict[str, Any]:
    """The document as this user may read it: every department's rows for those who read the
    published rollup of all (officers too), only their own for viewers limited to some
    departments (core.permissions.published_department_ids decides). Filters in place."""
    published = published_department_ids(user)
    if published is None:
        return document
    return only_departments(document, codes_of(published))


def only_departments(document: dict[str, Any], codes: set[str]) -> dict[str, Any]:
    """The document with only these departments' rows (the organization's figures stay)."""
    for block in document["metrics"].values():
        block["departments"] = {c: v for c, v in block["departments"].items() if c in codes}
        if block.get("decomposition"):
            parts = block["decomposition"]["departments"]
            block["decomposition"]["departments"] = {c: v for c, v in parts.items() if c in codes}
    document["strategy_effects"] = [
        e for e in document["strategy_effects"] if e["department"] in codes
    ]
    document["departments"] = {c: v for c, v in document["departments"].items() if c in codes}
    return document
