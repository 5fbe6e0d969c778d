"""A period's department aggregates packed into one compact binary record. Pure.

Per metric, parallel columns over its departments (sorted by id): the department ids, the
SPEC 4.1 score and N for weighted-mean aggregation, the plain mean, the plain sum and the
count. The scores are computed here (columns.score_columns, equal to calc's
compute_department_score), once, when the period's observations change; a rollup then only
reads the columns of its metric's aggregation. With each metric goes its organization score
S over all the record's departments for the metric's aggregation and weighting (SPEC 4.2,
equal to columns.org_score_column, whose sums are correctly rounded and so independent of
the departments' order): the organization series of SPEC 4.9 reads it instead of summing
every earlier period again. The digest covers the raw sums bit for bit, so it changes
exactly when they do.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from cxprogram.rollup.columns import FloatColumn, org_score_column, score_columns, weight_column

MAGIC = b"CXA2"  # CXA1: the same without the organization scores (still read)
READABLE = (b"CXA1", MAGIC)
# column order in the record, per metric: ids first, then these float columns
FLOAT_COLUMNS = ("wm_score", "wm_n", "mean_score", "plain_sum", "count")
# the rows of FLOAT_COLUMNS holding s_d and N_d for each aggregation (any other: the mean)
SCORE_ROWS = {"weighted_mean": (0, 1), "mean": (2, 4), "sum": (3, 4)}
AggregateRow = tuple[int, int, float, float, float, int]  # metric, dept, wsum, wtotal, psum, n
Weighing = tuple[str, str]  # a metric's aggregation and organization weighting


def weighing_key(weighing: Weighing) -> str:
    """The tag a record stores an organization score under: "weighted_mean/volume"."""
    return "/".join(weighing)


@dataclass(frozen=True, slots=True)
class MetricColumns:
    """One metric's departments in one period, as parallel columns (ids ascending); block
    holds the FLOAT_COLUMNS as rows."""

    department_ids: npt.NDArray[np.int64]
    block: FloatColumn
    org: tuple[str, float] | None = None  # (weighing_key, S over all these departments)

    def scores(self, aggregation: str) -> tuple[FloatColumn, FloatColumn]:
        """The scores s_d and volumes N_d of SPEC 4.1 for this aggregation."""
        score, volume = SCORE_ROWS.get(aggregation, SCORE_ROWS["mean"])
        return self.block[score], self.block[volume]

    def org_score(self, weighing: Weighing) -> float | None:
        """S over all the departments for this aggregation and weighting, if stored."""
        if self.org is None or self.org[0] != weighing_key(weighing):
            return None
        return self.org[1]


def pack(
    rows: Iterable[AggregateRow], weighings: Mapping[int, Weighing] | None = None
) -> tuple[bytes, str]:
    """The record and digest of a period's aggregate rows (any order), with the organization
    score of each metric given in weighings (metric id -> aggregation and weighting)."""
    ordered = sorted(rows)
    if not ordered:
        return _record([], b""), hashlib.sha256().hexdigest()
    # ids and counts are exact as float64 (below 2**53) and go back to int64 below
    table = np.array(ordered, dtype=np.float64)
    digest = hashlib.sha256()
    header: list[list[Any]] = []
    body = bytearray()
    for segment in np.split(table, np.flatnonzero(np.diff(table[:, 0])) + 1):
        metric_id, count = int(segment[0, 0]), len(segment)
        ids, counts = segment[:, 1].astype(np.int64), segment[:, 5].astype(np.int64)
        wsums, wtotals, psums = segment[:, 2].copy(), segment[:, 3].copy(), segment[:, 4].copy()
        digest.update(struct.pack("<qq", metric_id, count))
        for column in (ids, wsums, wtotals, psums, counts):
            digest.update(column.tobytes())
        body += ids.tobytes()
        columns = score_columns(wsums, wtotals, psums, counts)
        block = np.stack([columns[name] for name in FLOAT_COLUMNS])
        body += block.tobytes()
        weighing = (weighings or {}).get(metric_id)
        header.append([metric_id, count, *(_org(block, weighing) if weighing else ())])
    return _record(header, bytes(body)), digest.hexdigest()


def _org(block: FloatColumn, weighing: Weighing) -> tuple[str, float | None]:
    aggregation, weighting = weighing
    scores, volumes = MetricColumns(np.zeros(0, np.int64), block).scores(aggregation)
    org = org_score_column(scores, weight_column(volumes, weighting), aggregation)
    return weighing_key(weighing), org


def _record(header: list[list[Any]], body: bytes) -> bytes:
    head = json.dumps(header, separators=(",", ":")).encode()
    return MAGIC + struct.pack("<I", len(head)) + head + body


def unpack(record: bytes) -> dict[int, MetricColumns]:
    """The per-metric columns of a record made by pack(), as read-only views of it."""
    if record[:4] not in READABLE:
        raise ValueError("not a rollup aggregates record")
    (size,) = struct.unpack_from("<I", record, 4)
    header = json.loads(record[8 : 8 + size])
    floats = np.frombuffer(record, dtype=np.float64, offset=8 + size)
    ids = floats.view(np.int64)  # the same bytes: each metric's id column comes first
    offset, width, out = 0, len(FLOAT_COLUMNS), {}
    for metric_id, count, *org in header:
        block = floats[offset + count : offset + (width + 1) * count].reshape(width, count)
        stored = (org[0], org[1]) if org else None
        out[metric_id] = MetricColumns(ids[offset : offset + count], block, stored)
        offset += (width + 1) * count
    return out
