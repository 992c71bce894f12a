"""Russian morphology for the word lists: a word's lemmas from OpenCorpora's dictionary
(pymorphy3), whether the dictionary knows the word or only guesses, and a lemma's forms.

The analyser is loaded once per process (about 25 MB, 0.15 s) and every answer is
memoised by spelling: a comment's words repeat across comments far more than they vary.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import pymorphy3

# Tags of proper names: a stem pattern written for a slur must not take a surname or a
# place that merely starts with the same letters (Чуркин, Москаленко, Херсон).
_NAME_TAGS = frozenset({"Surn", "Name", "Patr", "Geox", "Orgn", "Trad"})


@dataclass(frozen=True)
class Analysis:
    """What the dictionary says about one spelling.

    ``known``: the dictionary has the word (``lemmas`` are its lemmas); otherwise
    ``lemmas`` are the analyser's guesses. ``name``: one reading is a proper name.
    """

    lemmas: frozenset[str]
    known: bool
    name: bool


@functools.cache
def analyzer() -> pymorphy3.MorphAnalyzer:
    """The process's one analyser (loading it reads the dictionary: do it once)."""
    return pymorphy3.MorphAnalyzer()


def _fold(word: str) -> str:
    return word.replace("ё", "е")


@functools.lru_cache(maxsize=65536)
def analyse(spelling: str) -> Analysis:
    """The lemmas of a lower-case spelling, and whether they are known or guessed."""
    morph = analyzer()
    parses = morph.parse(spelling)
    known = morph.word_is_known(spelling)
    return Analysis(
        lemmas=frozenset(_fold(p.normal_form) for p in parses),
        known=known,
        name=known and any(_NAME_TAGS & p.tag.grammemes for p in parses),
    )


@functools.lru_cache(maxsize=4096)
def forms_of(lemma: str) -> frozenset[str]:
    """Every form of a lemma the dictionary knows (just the word itself for an unknown one)."""
    forms = {lemma}
    if analyzer().word_is_known(lemma):
        for parse in analyzer().parse(lemma):
            if _fold(parse.normal_form) == lemma:
                forms.update(_fold(form.word) for form in parse.lexeme)
    return frozenset(forms)
