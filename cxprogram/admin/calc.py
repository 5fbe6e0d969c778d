"""Pure rules of the organization's structure: department codes, parent cycles, lists.

No Flask, no SQLAlchemy: the forms, the services and the file importers share these.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

CODE_MAX = 20  # the column's length (org.models.Department.code)
CODE_RE = re.compile(rf"^[A-Z0-9][A-Z0-9-]{{1,{CODE_MAX - 1}}}$")
CODE_RULE = (
    f"2 to {CODE_MAX} characters: letters A-Z, digits and hyphens, starting with a letter or "
    "digit, such as DMV, PARKS-2 or FINTRAC-CANAFE; stored in upper case"
)
LIST_SEPARATORS = re.compile(r"[;|]")


def normalise_code(raw: str) -> str:
    """A department code as stored: surrounding space removed, upper case."""
    return raw.strip().upper()


def code_problem(code: str) -> str | None:
    """Why a (normalised) department code is not acceptable, or None when it is."""
    if not code:
        return "a code is required"
    if not CODE_RE.match(code):
        return f"'{code}' is not a valid code ({CODE_RULE})"
    return None


def ancestors(code: str, parents: Mapping[str, str | None]) -> list[str]:
    """The chain of parents above a department, nearest first; stops at the first repeat."""
    chain: list[str] = []
    current = parents.get(code)
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return chain


def creates_cycle(code: str, parent: str | None, parents: Mapping[str, str | None]) -> bool:
    """Whether placing `code` under `parent` makes it its own ancestor (itself or below it)."""
    if parent is None:
        return False
    if parent == code:
        return True
    return code in ancestors(parent, {**parents, code: parent})


def descendants(code: str, parents: Mapping[str, str | None]) -> set[str]:
    """Every department below `code` (children, their children...)."""
    return {other for other in parents if other != code and code in ancestors(other, parents)}


def split_list(cell: str) -> list[str]:
    """`web; phone|chat` -> ["web", "phone", "chat"]: `;`- or `|`-separated, blanks dropped."""
    return [part.strip() for part in LIST_SEPARATORS.split(cell) if part.strip()]


def vocabulary_key(text: str) -> str:
    """How a channel or stage is matched: case, spaces, hyphens and slashes do not matter."""
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


def middle_month(start: date) -> date:
    """The first day of the month after `start`: the middle month of a quarter starting there.

    A relabelled period goes to the new quarter holding its old middle month, so it keeps at
    least two of its three months (all three when the calendars are three months apart).
    """
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)
