"""How a reply names the author it answers: «ответ для Гульнары» where the dictionary knows
the first name for certain, «в ответ: Гость123» where it does not, "reply to X" in English.

A wrong declension reads worse than none, so the analyser (the auto-moderator's one
pymorphy3 instance) must be confident: the name is a dictionary word, read in the
nominative singular (an author writes their name so) mostly as a first name (tag Name),
and every such reading gives the same genitive. Anything else takes the wording that
needs no declension.
"""

from __future__ import annotations

import functools
import re

from flask_babel import get_locale, pgettext
from flask_babel import gettext as _

from .automod.morph import analyzer

# Share of the nominative readings that must be a first name: "Роза" (0.67 a name, else a
# flower) declines the same either way, "Вера" (0.3) and "Любовь" (0.14, «Любви» or
# «Любови») are left as written.
MIN_NAME_SHARE = 0.5
# What may follow a first name and stays as it is in the genitive: an initial ("К."),
# digits, Latin script. A Cyrillic surname ("Иванова") would need declining too.
_UNDECLINED_TAIL = re.compile(r"(?:[А-ЯЁ]\.?|[0-9]+|[A-Za-z0-9._-]+)")
_CYRILLIC_WORD = re.compile(r"[а-яё]+", re.IGNORECASE)


def _same_case(original: str, declined: str) -> str | None:
    """``declined`` (lower case) written the way ``original`` is, or None for mixed case."""
    if "ё" not in original.lower():
        # Keep the author's spelling: the dictionary writes "Алёны" for "Алена".
        declined = declined.replace("ё", "е")
    if original.isupper() and len(original) > 1:
        return declined.upper()
    if original.islower():
        return declined
    if original[0].isupper() and (len(original) == 1 or original[1:].islower()):
        return declined[:1].upper() + declined[1:]
    return None


def _genitive_of_word(word: str) -> str | None:
    if not _CYRILLIC_WORD.fullmatch(word):
        return None
    morph = analyzer()
    lower = word.lower()
    if not morph.word_is_known(lower):
        return None
    nominative = [p for p in morph.parse(lower) if {"nomn", "sing"} <= p.tag.grammemes]
    total = sum(p.score for p in nominative)
    names = [p for p in nominative if "Name" in p.tag.grammemes]
    if not names or total <= 0 or sum(p.score for p in names) / total < MIN_NAME_SHARE:
        return None
    forms = {inflected.word for p in names if (inflected := p.inflect({"gent"})) is not None}
    if len(forms) != 1:
        return None
    return _same_case(word, forms.pop())


@functools.lru_cache(maxsize=4096)
def genitive_name(name: str) -> str | None:
    """``name`` in the genitive ("Гульнара" → "Гульнары"), or None when not sure.

    In a name of several words only a recognised first name is declined, and only when
    what follows needs no declension ("Гульнара К." → "Гульнары К."); "Гульнара Иванова"
    gets None.
    """
    words = name.split()
    if not words:
        return None
    first, *rest = words
    if rest and not all(_UNDECLINED_TAIL.fullmatch(word) for word in rest):
        return None
    declined = _genitive_of_word(first)
    if declined is None:
        return None
    return " ".join([declined, *rest])


def reply_to_label(name: str, heading: bool = False) -> str:
    """The words "reply to <name>" (as a ``heading``: "Reply to <name>") in the request's language;
    a Jinja filter. Only Russian declines the name; other languages read the same both ways."""
    declined = genitive_name(name) if str(get_locale()) == "ru" else None
    if declined is None:
        if heading:
            return pgettext("name not declined", "Reply to %(name)s", name=name)
        return pgettext("name not declined", "reply to %(name)s", name=name)
    if heading:
        return _("Reply to %(name)s", name=declined)
    return _("reply to %(name)s", name=declined)
