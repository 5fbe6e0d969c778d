"""A pikepdf pass over WeasyPrint's PDF/UA-1 output that mends the tagging gaps our report
hits (WeasyPrint 70):

1. A table split across pages becomes one /Table per page, the later ones without the
   caption and with the repeated header row tagged again as content. Every table of the
   report has a caption, so a /Table without one continues the table before it: its rows
   move into that table (their /Headers pointed at the first header row), and the repeated
   header row becomes a pagination artifact.
2. Header cells carry IDs (cells point at them with /Headers) but no /Scope: /Column for a
   header cell in the table's head, /Row for one in its body.
3. Page-margin content (running headers, "page N of M") is marked content mapped to
   structure elements that are not in the tree: it becomes /Artifact /Pagination content,
   and its parent-tree entries null.

Everything else is left as WeasyPrint wrote it; what remains is listed in the README.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name, Object


@dataclass(frozen=True)
class TaggingOutcome:
    """What the pass changed."""

    tables_merged: int
    scopes_added: int
    artifacts_marked: int


def mend_tags(data: bytes) -> tuple[bytes, TaggingOutcome]:
    """The PDF with the mends above, saved deterministically, and what was done."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        root = pdf.Root.StructTreeRoot
        document = root.K[0]
        merged = _merge_split_tables(document)
        scopes = sum(_set_scope(cell, scope) for cell, scope in _header_cells(document))
        artifacts = _mark_orphans_as_artifacts(pdf, document)
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue(), TaggingOutcome(merged, scopes, artifacts)


def _kids(element: Object) -> list[Object]:
    """The structure-element children of an element (marked-content ids left out)."""
    k = element.get("/K")
    if k is None:
        return []
    items = list(k) if isinstance(k, Array) else [k]
    return [i for i in items if isinstance(i, Dictionary) and "/S" in i]


def _walk(element: Object) -> Iterator[Object]:
    """The element and every structure element below it, in reading order."""
    yield element
    for kid in _kids(element):
        yield from _walk(kid)


def _tag(element: Object) -> str:
    return str(element.get("/S", ""))


def _merge_split_tables(document: Object) -> int:
    """Fold every caption-less /Table into the table before it; returns how many."""
    merged, previous = 0, None
    for table in [e for e in _walk(document) if _tag(e) == "/Table"]:
        kids = _kids(table)
        if kids and _tag(kids[0]) == "/Caption" or previous is None:
            previous = table
            continue
        _fold_into(previous, table)
        merged += 1
    return merged


def _fold_into(first: Object, continuation: Object) -> None:
    """Move the continuation's body rows into the first table; drop its repeated head."""
    ids = _head_ids(first)
    body = next((k for k in _kids(first) if _tag(k) == "/TBody"), first)
    for part in _kids(continuation):
        if _tag(part) == "/THead":
            continue  # the repeated header row: its content turns into artifacts
        rows = _kids(part) if _tag(part) in ("/TBody", "/TFoot") else [part]
        for row in rows:
            _remap_headers(row, ids)
            row.P = body
            body.K.append(row)
    _detach(continuation)


def _head_ids(table: Object) -> dict[int, Object]:
    """The IDs of the first table's header row cells, by column."""
    head = next((k for k in _kids(table) if _tag(k) == "/THead"), None)
    rows = _kids(head) if head is not None else []
    return {j: cell.ID for j, cell in enumerate(_kids(rows[0]))} if rows else {}


def _remap_headers(row: Object, ids: dict[int, Object]) -> None:
    """Point a moved row's cells at the first table's header row (IDs end in -0-column)."""
    for cell in _kids(row):
        attributes = cell.get("/A")
        if attributes is None or "/Headers" not in attributes:
            continue
        headers = Array()
        for header in attributes.Headers:
            table, row_index, column = str(header).rsplit("-", 2)
            if row_index == "0" and int(column) in ids:
                headers.append(ids[int(column)])
            else:
                headers.append(header)
        attributes.Headers = headers


def _detach(element: Object) -> None:
    """Remove an element from its parent, and the parent too when left empty."""
    parent = element.get("/P")
    if parent is None or "/K" not in parent or not isinstance(parent.K, Array):
        return
    parent.K = Array([k for k in parent.K if not (isinstance(k, Dictionary) and k == element)])
    if len(parent.K) == 0 and _tag(parent) not in ("/Document", ""):
        _detach(parent)


def _header_cells(document: Object) -> Iterator[tuple[Object, str]]:
    """Every header cell with the scope its place gives it."""
    for group in _walk(document):
        if _tag(group) not in ("/THead", "/TBody", "/TFoot", "/Table"):
            continue
        scope = "/Column" if _tag(group) == "/THead" else "/Row"
        rows = [k for k in _kids(group) if _tag(k) == "/TR"]
        for row in rows:
            for cell in _kids(row):
                if _tag(cell) == "/TH":
                    yield cell, scope


def _set_scope(cell: Object, scope: str) -> bool:
    """Give a header cell its scope unless it has one; True when added."""
    attributes = cell.get("/A")
    if attributes is None:
        cell.A = attributes = Dictionary(O=Name.Table)
    if "/Scope" in attributes:
        return False
    attributes.Scope = Name(scope)
    return True


def _mark_orphans_as_artifacts(pdf: pikepdf.Pdf, document: Object) -> int:
    """Marked content whose structure element is outside the tree becomes an artifact."""
    reachable = {e.objgen for e in _walk(document)}
    nums = pdf.Root.StructTreeRoot.ParentTree.Nums
    by_key = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
    marked = 0
    for page in pdf.pages:
        key = page.obj.get("/StructParents")
        mapping = by_key.get(int(key)) if key is not None else None
        if not isinstance(mapping, Array):
            continue
        orphans = set()
        for mcid, element in enumerate(mapping):
            if isinstance(element, Dictionary) and element.objgen not in reachable:
                orphans.add(mcid)
                mapping[mcid] = pikepdf.Object.parse(b"null")
        if orphans:
            marked += _rewrite_marked_content(pdf, page, orphans)
    return marked


def _rewrite_marked_content(pdf: pikepdf.Pdf, page: pikepdf.Page, mcids: set[int]) -> int:
    """Turn the page's marked-content sequences with these ids into pagination artifacts."""
    instructions: list[Any] = []
    changed = 0
    for instruction in pikepdf.parse_content_stream(page):
        if isinstance(instruction, pikepdf.ContentStreamInlineImage):
            instructions.append(instruction)
            continue
        operands, operator = list(instruction.operands), instruction.operator
        if str(operator) == "BDC" and len(operands) == 2 and isinstance(operands[1], Dictionary):
            mcid = operands[1].get("/MCID")
            if mcid is not None and int(mcid) in mcids:
                operands = [Name.Artifact, Dictionary(Type=Name.Pagination)]
                changed += 1
        instructions.append(pikepdf.ContentStreamInstruction(operands, operator))
    page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(instructions))
    return changed
