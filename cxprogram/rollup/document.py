"""The rollup document (SPEC 6) of a snapshot: what GET /api/v1/rollups/{period} returns
and every page and the quarterly PDF read, so that all of them agree number for number.

The stored result expanded, the snapshot block with its freshness (at read time), and the
names of what it mentions as they are now (names are not inputs: a rename makes no new
snapshot).
"""

from __future__ import annotations

from typing import Any

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
