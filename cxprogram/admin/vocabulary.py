"""Writes of the vocabularies: the administrator adds, renames, retires and restores channels
and journey stages. A retired term is never deleted: the observations, services and
strategies that have it keep it; new observations and new links refuse it (the write path's
rule, `calc.retired_reason`). Flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from cxprogram.admin import calc
from cxprogram.admin.services import StructureError
from cxprogram.auth.models import User
from cxprogram.core import audit
from cxprogram.extensions import db
from cxprogram.org.models import Channel, JourneyStage
from cxprogram.org.services import EditConflict

Term = Channel | JourneyStage


@dataclass(frozen=True)
class Kind:
    """One vocabulary as its pages and audit events name it."""

    slug: str  # in URLs
    model: type[Channel] | type[JourneyStage]
    entity: str  # audit entity type
    noun: str  # "channel", "journey stage"
    plural: str


KINDS = {
    "channels": Kind("channels", Channel, "channel", "channel", "Channels"),
    "stages": Kind("stages", JourneyStage, "journey_stage", "journey stage", "Journey stages"),
}


def term_state(term: Term) -> dict[str, Any]:
    """A channel or stage as plain data, for audit events and conflict pages."""
    return {
        "code": term.code,
        "name": term.name,
        "is_retired": term.is_retired,
        "version": term.version,
    }


def create_term(kind: Kind, code: str, name: str, actor: User) -> Term:
    """Add a channel or stage; its code is made from the name when none is typed."""
    name = name.strip()
    code = calc.term_code(code, name)
    _check(kind, code, name, None)
    term = kind.model(code=code, name=name, is_retired=False)
    if isinstance(term, JourneyStage):
        last = db.session.scalar(select(func.max(JourneyStage.position)))
        term.position = (last or 0) + 1  # a new stage comes at the end of the journey
    db.session.add(term)
    db.session.flush()
    audit.record("create", kind.entity, term.id, actor=actor, after=term_state(term))
    return term


def rename_term(kind: Kind, term: Term, name: str, version: int, actor: User) -> None:
    """Give a channel or stage a new name (its code, which files use, stays)."""
    if version != term.version:
        raise EditConflict
    name = name.strip()
    _check(kind, term.code, name, term)
    if name == term.name:
        return
    before = term_state(term)
    term.name = name
    db.session.flush()
    audit.record("update", kind.entity, term.id, actor=actor, before=before,
                 after=term_state(term))  # fmt: skip


def set_retired(kind: Kind, term: Term, retired: bool, version: int, actor: User) -> None:
    """Retire (kept on history, refused on new records) or restore a channel or stage."""
    if version != term.version:
        raise EditConflict
    if term.is_retired == retired:
        return
    before = term_state(term)
    term.is_retired = retired
    db.session.flush()
    audit.record("retire" if retired else "restore", kind.entity, term.id, actor=actor,
                 before=before, after=term_state(term))  # fmt: skip


def _check(kind: Kind, code: str, name: str, term: Term | None) -> None:
    model = kind.model
    others = select(model.code, model.name)
    if term is not None:
        others = others.where(model.id != term.id)
    problem = calc.term_problem(code, name, db.session.execute(others).tuples())
    if problem:
        raise StructureError(*problem)
