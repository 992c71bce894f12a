"""Names readers may not sign with: the portal's and the staff's, however they are spelled.

A name is compared by its skeleton: the moderation normaliser's folding (case, ё, NFKC,
invisible characters, combining marks), letters of other scripts that mimic Cyrillic ones
read as those (the confusables table of `automod.wordmatch`), separators dropped and
repeated letters collapsed. «Р е д а к ц и я», «PEДAKЦИЯ» (Latin P, E, A, K) and
«Рeдaкция» all have the skeleton of «Редакция».
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask import current_app

from ..core.db import db
from ..models import StaffUser
from .automod.wordmatch import collapse, fold_chars, look_alikes


def skeleton(name: str) -> str:
    """What a name looks like once every disguise the normaliser knows is taken off."""
    table = look_alikes()
    letters = (table.get(char, char) for char, _index in fold_chars(name))
    return collapse("".join(char for char in letters if char.isalnum()))


def is_reserved(name: str, reserved: Iterable[str], staff_names: Iterable[str]) -> bool:
    """True when ``name`` contains a reserved name («Редакция News-Asia» contains
    «Редакция») or is a staff member's name, by skeleton."""
    mine = skeleton(name)
    if not mine:
        return False
    if any((s := skeleton(r)) and s in mine for r in reserved):
        return True
    return any(skeleton(s) == mine for s in staff_names)


def reserved_for_staff(name: str) -> bool:
    """True when a reader may not sign a comment with ``name`` (RESERVED_AUTHOR_NAMES and
    the staff accounts' usernames)."""
    reserved = [n.strip() for n in current_app.config["RESERVED_AUTHOR_NAMES"].split(",")]
    staff = db.session.scalars(sa.select(StaffUser.username))
    return is_reserved(name, [n for n in reserved if n], staff)
