"""Names readers may not sign with: the portal's and the staff's, however they are spelled.

A name is compared by its skeleton: the moderation normaliser's folding (case, ё, NFKC,
invisible characters, combining marks), letters of other scripts that mimic Cyrillic ones
read as those (the confusables table of `automod.wordmatch`), separators dropped.
«Р е д а к ц и я», «PEДAKЦИЯ» (Latin P, E, A, K) and «Рeдaкция» all have the skeleton
of «Редакция». The skeletons are then matched letter by letter, where a digit (or @)
may stand for a letter it resembles («Р3дакция», «Pедакци9», «М0дератор») and a letter
repeated in a row counts once («Реддакция»).
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask import current_app

from ..core.db import db
from ..core.near_cache import NearCache
from ..models import StaffUser
from .automod.wordmatch import collapse, fold_chars, look_alikes

# What a character of a skeleton may stand for besides itself: any of the letters listed.
# Wider than the moderation's digit table (3 is з there): a name is short, and «Р3дакция»
# is read as «Редакция» by anyone. ь is also the Latin B, which the confusables table
# reads by its lower case b («ИBAHOBA»).
READINGS = {
    "0": "о",
    "3": "зе",
    "4": "ча",
    "6": "б",
    "8": "в",
    "9": "я",
    "@": "а",
    "ь": "в",
}


def skeleton(name: str) -> str:
    """What a name looks like once every disguise the normaliser knows is taken off
    (digits that may stand for letters are kept: `occurs` reads them)."""
    table = look_alikes()
    letters = (table.get(char, char) for char, _index in fold_chars(name))
    return collapse("".join(c for c in letters if c.isalnum() or c in READINGS))


def _reads_as(char: str, letter: str) -> bool:
    return char == letter or letter in READINGS.get(char, "")


def occurs(target: str, name: str, *, whole: bool = False) -> bool:
    """True when skeleton ``target`` can be read in skeleton ``name`` (``whole``: as all
    of it), each character of ``name`` being the letter itself or a digit standing for it.

    A set-of-states automaton rather than a regular expression: a digit that reads as two
    neighbouring letters would let a pattern backtrack; this costs len(name) × len(target).
    """
    if not target:
        return False
    states = {0}
    for char in name:
        following = {0} if not whole else set()
        for done in states:
            if done < len(target) and _reads_as(char, target[done]):
                following.add(done + 1)
            if done > 0 and _reads_as(char, target[done - 1]):
                following.add(done)  # the same letter again («Реддакция», «Р3едакция»)
        if not whole and len(target) in following:
            return True
        states = following
        if not states:
            return False
    return len(target) in states


def is_reserved(name: str, reserved: Iterable[str], staff_names: Iterable[str]) -> bool:
    """True when ``name`` contains a reserved name («Редакция News-Asia» contains
    «Редакция») or is a staff member's name, by skeleton."""
    mine = skeleton(name)
    if not mine:
        return False
    if any(occurs(skeleton(r), mine) for r in reserved):
        return True
    return any(occurs(skeleton(s), mine, whole=True) for s in staff_names)


def _staff_cache() -> NearCache:
    # A cache of its own: the names change when an admin edits an account, rarely, and a
    # comment post should not read the whole staff table each time.
    return current_app.extensions.setdefault(
        "staff_names", NearCache(current_app.config["RESERVED_NAMES_CACHE_SECONDS"], 1)
    )


def staff_names() -> tuple[str, ...]:
    """Every staff account's username and display name, disabled ones included (a web
    process reuses them for RESERVED_NAMES_CACHE_SECONDS)."""

    def load() -> tuple[str, ...]:
        rows = db.session.execute(sa.select(StaffUser.username, StaffUser.display_name))
        return tuple(name for row in rows for name in row if name)

    return _staff_cache().get_or_load("names", load)


def forget_staff_names() -> None:
    """Drop this process's copy of the staff names (after one of them changed)."""
    _staff_cache().forget("names")


def reserved_for_staff(name: str) -> bool:
    """True when a reader may not sign a comment with ``name`` (RESERVED_AUTHOR_NAMES and
    the staff accounts' usernames and display names)."""
    reserved = [n.strip() for n in current_app.config["RESERVED_AUTHOR_NAMES"].split(",")]
    return is_reserved(name, [n for n in reserved if n], staff_names())
