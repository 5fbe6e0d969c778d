"""A period's department aggregates packed into one compact binary record. Pure.

Per metric, parallel columns over its departments (sorted by id): the department ids, the
SPEC 4.1 score and N for weighted-mean aggregation, the plain mean, the plain sum and the
count. Every score is computed here with calc.compute_department_score, once, when the
period's observations change; a rollup then only reads the columns of the metric's
aggregation. The digest covers the raw sums, so it changes exactly when they do.
"""

from __future__ import annotations

import hashlib
import json
import struct
from array import array
from collections.abc import Iterable
from dataclasses import dataclass

from cxprogram.rollup.calc import DepartmentAggregate, compute_department_score

MAGIC = b"CXA1"
# column order in the record, per metric: ids first, then these float columns
FLOAT_COLUMNS = ("wm_score", "wm_n", "mean_score", "plain_sum", "count")
AggregateRow = tuple[int, int, float, float, float, int]  # metric, dept, wsum, wtotal, psum, n


@dataclass(frozen=True)
class MetricColumns:
    """One metric's departments in one period, as parallel columns (ids ascending)."""

    department_ids: array  # type: ignore[type-arg]
    columns: dict[str, array]  # type: ignore[type-arg]

    def scores(self, aggregation: str) -> tuple[array, array]:  # type: ignore[type-arg]
        """The scores s_d and volumes N_d of SPEC 4.1 for this aggregation."""
        if aggregation == "sum":
            return self.columns["plain_sum"], self.columns["count"]
        if aggregation == "weighted_mean":
            return self.columns["wm_score"], self.columns["wm_n"]
        return self.columns["mean_score"], self.columns["count"]


def pack(rows: Iterable[AggregateRow]) -> tuple[bytes, str]:
    """The record and digest of a period's aggregate rows (sorted by metric, department)."""
    by_metric: dict[int, list[AggregateRow]] = {}
    for row in sorted(rows):
        by_metric.setdefault(row[0], []).append(row)
    digest = hashlib.sha256()
    header, body = [], bytearray()
    for metric_id, items in by_metric.items():
        header.append([metric_id, len(items)])
        body += array("q", [r[1] for r in items]).tobytes()
        columns = _columns(items)
        for name in FLOAT_COLUMNS:
            body += array("d", columns[name]).tobytes()
        digest.update(repr([(r[1], r[2], r[3], r[4], r[5]) for r in items]).encode())
        digest.update(f"/{metric_id};".encode())
    head = json.dumps(header, separators=(",", ":")).encode()
    return MAGIC + struct.pack("<I", len(head)) + head + bytes(body), digest.hexdigest()


def _columns(items: list[AggregateRow]) -> dict[str, list[float]]:
    aggregates = [DepartmentAggregate(str(r[1]), r[2], r[3], r[4], r[5]) for r in items]
    weighted = [compute_department_score(a, "weighted_mean") for a in aggregates]
    plain = [compute_department_score(a, "sum") for a in aggregates]
    return {
        "wm_score": [s.score for s in weighted],
        "wm_n": [s.n for s in weighted],
        "mean_score": [compute_department_score(a, "mean").score for a in aggregates],
        "plain_sum": [s.score for s in plain],
        "count": [s.n for s in plain],
    }


def unpack(record: bytes) -> dict[int, MetricColumns]:
    """The per-metric columns of a record made by pack()."""
    if record[:4] != MAGIC:
        raise ValueError("not a rollup aggregates record")
    (size,) = struct.unpack_from("<I", record, 4)
    header = json.loads(record[8 : 8 + size])
    view, offset, out = memoryview(record), 8 + size, {}
    for metric_id, count in header:
        width = 8 * count
        ids = array("q")
        ids.frombytes(view[offset : offset + width])
        offset += width
        columns = {}
        for name in FLOAT_COLUMNS:
            column = array("d")
            column.frombytes(view[offset : offset + width])
            columns[name] = column
            offset += width
        out[metric_id] = MetricColumns(ids, columns)
    return out
