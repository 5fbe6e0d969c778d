"""Pure rules of the organization's structure: department codes, parent cycles, lists.

No Flask, no SQLAlchemy: the forms, the services and the file importers share these.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date

CODE_MAX = 20  # the column's length (org.models.Department.code)
CODE_RE = re.compile(rf"^[A-Z0-9][A-Z0-9-]{{1,{CODE_MAX - 1}}}$")
CODE_RULE = (
    f"2 to {CODE_MAX} characters: letters A-Z, digits and hyphens, starting with a letter or "
    "digit, such as DMV, PARKS-2 or FINTRAC-CANAFE; stored in upper case"
)
SHORT_NAME_MAX = 12  # the column's length (org.models.Department.short_name)
SHORT_NAME_RULE = (
    f"optional, up to {SHORT_NAME_MAX} characters on one line, such as Parks or Vet. Affairs; "
    "shown instead of the code in tight tables (the dashboard's heatmap, the PDF report)"
)
VOCABULARY_NAME_MAX = 100  # the columns' length (org.models.Channel.name, JourneyStage.name)
VOCABULARY_CODE_MAX = 40
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


def normalise_short_name(raw: str | None) -> str | None:
    """A short name as stored: surrounding space removed, None when empty."""
    text = (raw or "").strip()
    return text or None


def short_name_problem(short_name: str | None) -> str | None:
    """Why a (normalised) short name is not acceptable, or None when it is."""
    if short_name is None:
        return None
    if len(short_name) > SHORT_NAME_MAX or any(not ch.isprintable() for ch in short_name):
        return f"'{short_name}' is not a valid short name ({SHORT_NAME_RULE})"
    return None


_NOT_IN_A_NAME = ("Cc", "Zl", "Zp")  # control characters, line and paragraph separators
_SHOWN_AS = {"\n": "a line break", "\r": "a line break", "\t": "a tab"}


def name_problem(name: str, what: str, limit: int) -> str | None:
    """Why a department's or service's name is not acceptable (empty, too long, a line break,
    tab or other control character: names are one line), or None when it is."""
    if not name:
        return f"a {what} name is required"
    if len(name) > limit:
        return f"the {what} name is longer than {limit} characters"
    bad = next((ch for ch in name if unicodedata.category(ch) in _NOT_IN_A_NAME), None)
    if bad is not None:
        shown = _SHOWN_AS.get(bad, "a control character")
        return f"the {what} name contains {shown} (U+{ord(bad):04X}); names are one line"
    return None


def repeated(what: str, first_row: int, spelt: str, first_spelt: str) -> str:
    """A value given twice in one file, saying so when only its case differs."""
    found = f"{spelt} is also on row {first_row}"
    if spelt != first_spelt:
        found += f" (as {first_spelt}: {what} are compared without regard to case)"
    return found


def tight_name(code: str, short_name: str | None) -> str:
    """The name to show for a department in a tight table: its short name, else its code."""
    return short_name or code


def retired_reason(what: str, name: str) -> str:
    """Why a retired channel or journey stage is refused on a new observation or a new link
    of a service, in the same words on every path (forms, grid, imports, API)."""
    return (
        f"the {what} '{name}' is retired: it stays on the records that have it, but new ones "
        f"cannot use it (an administrator can restore it)"
    )


def newly_linked(wanted: Iterable[str], had: Iterable[str], retired: Iterable[str]) -> list[str]:
    """The retired terms among those `wanted` that were not already `had` (refused)."""
    kept, gone = set(had), set(retired)
    return [term for term in wanted if term in gone and term not in kept]


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


def term_code(raw: str, name: str) -> str:
    """A new channel's or stage's code: the one typed, else made from its name (`Fax line`
    -> `fax_line`); lower case letters, digits and underscores."""
    return vocabulary_key(raw or name)


def term_problem(code: str, name: str, others: Iterable[tuple[str, str]]) -> tuple[str, str] | None:
    """(field, reason) when a channel's or stage's code or name is not acceptable: empty,
    too long, on several lines, or spelled like another term (imports match codes and names
    whatever their case, spaces and punctuation, so two terms must never look alike)."""
    if not name:
        return "name", "a name is required"
    if len(name) > VOCABULARY_NAME_MAX or any(not ch.isprintable() for ch in name):
        return "name", f"the name must fit on one line, up to {VOCABULARY_NAME_MAX} characters"
    if not code or len(code) > VOCABULARY_CODE_MAX:
        return "code", f"a code of 1 to {VOCABULARY_CODE_MAX} letters, digits or underscores"
    for other_code, other_name in others:
        taken = {vocabulary_key(other_code), vocabulary_key(other_name)}
        for field, text in (("name", name), ("code", code)):
            if vocabulary_key(text) in taken:
                return field, f"'{text}' reads like '{other_name}' ({other_code}), which exists"
    return None


def middle_month(start: date) -> date:
    """The first day of the month after `start`: the middle month of a quarter starting there.

    A relabelled period goes to the new quarter holding its old middle month, so it keeps at
    least two of its three months (all three when the calendars are three months apart).
    """
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)
