"""Word matching for the auto-moderator: text normalised against the usual evasions, with
positions back into the original text, and a small pattern language for Russian word forms.

Normalisation (the same for comment text and for patterns, so they always agree):

- Unicode compatibility forms (full-width, mathematical letters) and case are folded,
  ё becomes е, combining accents (Russian stress marks) and invisible format characters
  (zero-width spaces and joiners, bidi controls, soft hyphens) are dropped;
- in a word that has Cyrillic letters, Latin look-alikes become Cyrillic (``xуй`` -> ``хуй``,
  ``д0лб`` -> ``долб``; a digit only when it is not part of a number, so ``2024г`` stays);
  such a mixed word is also tried with Cyrillic look-alikes made Latin (``cаsino``);
  a Latin word made only of look-alike letters is also tried in Cyrillic (``CYKA``);
  ordinary Latin words and URLs are matched as written;
- letters repeated in a row count once, in the text and in the patterns alike
  (``дууураак`` -> ``дурак``);
- three or more single letters with short separators between them form one word
  (``д.у.р.а.к``, ``д у р а к``, ``д-у-р-а-к``).

Pattern syntax (one pattern per line of a word list, case and ё do not matter):

- ``дурак`` — exactly this word;
- ``дурак*`` — the word with any ending: дурак, дурака, дураку, дураками;
- ``*пизд*`` — ``*`` may stand at either end (any beginning) or inside; ``?`` is one letter;
- ``быстр* заработ*`` — several words: consecutive words of the text, each matching its part
  (a hyphen counts as a space: ``крипто-заработ*``). Allowed exceptions are single words
  and excuse only single-word matches.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

_LATIN_TO_CYRILLIC = {
    "a": "а",
    "b": "в",
    "c": "с",
    "e": "е",
    "h": "н",
    "k": "к",
    "m": "м",
    "n": "п",
    "o": "о",
    "p": "р",
    "r": "г",
    "t": "т",
    "u": "и",
    "x": "х",
    "y": "у",
}
_DIGIT_TO_CYRILLIC = {"0": "о", "3": "з", "4": "ч", "6": "б"}
_CYRILLIC_TO_LATIN = str.maketrans({cyr: lat for lat, cyr in _LATIN_TO_CYRILLIC.items()})
_TO_CYRILLIC = str.maketrans(_LATIN_TO_CYRILLIC)
# A digit stands for a letter only when it is not part of a number.
_LONE_DIGIT = re.compile(r"(?<!\d)[0346](?!\d)")
_CYRILLIC = re.compile(r"[а-яё]")
_LATIN = re.compile(r"[a-z]")
_REPEATS = re.compile(r"(.)\1+")
# Separators between spelled-out letters: short, and never a line break.
_MAX_SEPARATOR = 3
_MIN_SPELLED = 3
_MAX_SKIPPED = 2
_PATTERN_PART = re.compile(r"^[\w*?]+$")


@dataclass(frozen=True)
class Word:
    """One word of a text: the spellings to match, and where it stands in the original text."""

    forms: tuple[str, ...]
    start: int
    end: int
    # A spelled-out run without its first letter or two ("и д у р а к" may be "и" + "дурак"):
    # matched as a word of its own, but not part of the text's sequence of words.
    alternative: bool = False


def _fold(char: str) -> str:
    return "е" if char == "ё" else char


def fold_chars(text: str) -> list[tuple[str, int]]:
    """The text folded for matching, one character at a time, each with its original index."""
    out: list[tuple[str, int]] = []
    for index, char in enumerate(text):
        category = unicodedata.category(char)
        if category == "Cf":
            continue
        if category.startswith("M"):
            # A decomposed й or ё keeps its letter; a stress mark just goes.
            if out:
                composed = unicodedata.normalize("NFC", out[-1][0] + char)
                if len(composed) == 1:
                    out[-1] = (_fold(composed), out[-1][1])
            continue
        for folded in unicodedata.normalize("NFKC", char).casefold():
            out.append((_fold(folded), index))
    return out


def collapse(text: str) -> str:
    """Letters repeated in a row, once: ``дууураак`` -> ``дурак``."""
    return _REPEATS.sub(r"\1", text)


def spellings(word: str) -> tuple[str, ...]:
    """The spellings a folded word is matched by, the first being its canonical one."""
    if _CYRILLIC.search(word):
        digits_as_letters = _LONE_DIGIT.sub(lambda m: _DIGIT_TO_CYRILLIC[m.group()], word)
        forms = [digits_as_letters.translate(_TO_CYRILLIC)]
        if _LATIN.search(word):
            forms.append(word.translate(_CYRILLIC_TO_LATIN))
    elif len(word) >= 4 and all(char in _LATIN_TO_CYRILLIC for char in word):
        forms = [word, word.translate(_TO_CYRILLIC)]
    else:
        forms = [word]
    return tuple(dict.fromkeys(collapse(form) for form in forms))


def _runs(chars: list[tuple[str, int]]) -> list[tuple[list[tuple[str, int]], str]]:
    # Alternating words and the separator text that follows each one.
    runs: list[tuple[list[tuple[str, int]], str]] = []
    current: list[tuple[str, int]] = []
    gap = ""
    for char, index in chars:
        if char.isalnum():
            if gap and current:
                runs.append((current, gap))
                current, gap = [], ""
            elif gap:
                gap = ""
            current.append((char, index))
        else:
            gap += char
    if current:
        runs.append((current, gap))
    return runs


def _word(chars: list[tuple[str, int]], alternative: bool = False) -> Word:
    spelled = "".join(char for char, _index in chars)
    return Word(spellings(spelled), chars[0][1], chars[-1][1] + 1, alternative)


def words(text: str) -> list[Word]:
    """The words of ``text`` in order, spelled-out ones (``д.у.р.а.к``) joined into one."""
    runs = _runs(fold_chars(text))
    out: list[Word] = []
    i = 0
    while i < len(runs):
        j = i
        # Extend over single letters joined by one short separator, the same each time
        # ("д.у.р.а.к и ..." ends at the space), never across a line break.
        separator = runs[i][1]
        while (
            j + 1 < len(runs)
            and len(runs[j][0]) == 1
            and len(runs[j + 1][0]) == 1
            and runs[j][1] == separator
            and len(separator) <= _MAX_SEPARATOR
            and "\n" not in separator
        ):
            j += 1
        if j + 1 - i < _MIN_SPELLED:
            out.append(_word(runs[i][0]))
            i += 1
            continue
        letters = [run[0] for run, _gap in runs[i : j + 1]]
        out.append(_word(letters))
        for skip in range(1, min(_MAX_SKIPPED, len(letters) - _MIN_SPELLED) + 1):
            out.append(_word(letters[skip:], alternative=True))
        i = j + 1
    return out


@functools.lru_cache(maxsize=4096)
def fingerprint(text: str) -> str:
    """The text reduced to its canonical words: equal for reposts that differ only in disguise.

    Memoised: the duplicate rule compares each new comment with up to 200 of the author's
    recent ones, nearly all of which the worker fingerprinted for the previous comment.
    """
    return " ".join(word.forms[0] for word in words(text) if not word.alternative)


def normalize_pattern(pattern: str) -> str:
    """The canonical spelling of a pattern; ValueError if it is not one (see the module doc)."""
    # "крипто-заработок" is two words in a text, so it is two in a pattern too.
    parts = pattern.replace("-", " ").split()
    if not parts or not all(_PATTERN_PART.match(part) for part in parts):
        raise ValueError(f"not a word pattern: {pattern!r}")
    canonical = []
    for part in parts:
        pieces = re.split(r"([*?])", part)
        folded = ["".join(c for c, _ in fold_chars(piece)) for piece in pieces]
        canonical.append(
            "".join(piece if piece in ("*", "?") else spellings(piece)[0] for piece in folded)
        )
    if not any(part.strip("*?") for part in canonical):
        raise ValueError(f"a pattern needs letters, not only wildcards: {pattern!r}")
    return " ".join(canonical)


def _part_regex(part: str) -> str:
    return "".join(
        r"\w*" if piece == "*" else r"\w" if piece == "?" else re.escape(piece)
        for piece in re.split(r"([*?])", part)
        if piece
    )


class WordList:
    """Compiled patterns of one list; ``find`` gives the spans of the words they match."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = sorted({normalize_pattern(p) for p in patterns})
        singles = [p for p in self.patterns if " " not in p]
        self._single = (
            re.compile("|".join(f"(?:{_part_regex(p)})" for p in singles)) if singles else None
        )
        self._phrases = [
            [re.compile(_part_regex(part)) for part in p.split(" ")]
            for p in self.patterns
            if " " in p
        ]

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def matches(self, word: Word) -> bool:
        """Whether one of the single-word patterns matches a spelling of ``word``."""
        return self._single is not None and any(self._single.fullmatch(f) for f in word.forms)

    def find(self, text_words: list[Word], allowed: WordList | None = None) -> list[list[int]]:
        """Spans ``[start, end]`` of the words and phrases matched; ``allowed`` words are not."""
        spans: list[list[int]] = []
        for word in text_words:
            if allowed is not None and allowed.matches(word):
                continue
            if self.matches(word):
                spans.append([word.start, word.end])
        sequence = [word for word in text_words if not word.alternative]
        for parts in self._phrases:
            for i in range(len(sequence) - len(parts) + 1):
                chunk = sequence[i : i + len(parts)]
                if all(
                    any(part.fullmatch(f) for f in word.forms)
                    for part, word in zip(parts, chunk, strict=True)
                ):
                    spans.append([chunk[0].start, chunk[-1].end])
        # A spelled-out run and its shorter alternative may both match: keep the outer span.
        spans.sort(key=lambda span: (span[0], -span[1]))
        kept: list[list[int]] = []
        for span in spans:
            if not kept or span[1] > kept[-1][1]:
                kept.append(span)
        return kept
