"""Word matching for the auto-moderator: text normalised against the usual evasions, with
positions back into the original text, and word lists matched on lemmas and patterns.

Normalisation (the same for comment text and for patterns, so they always agree):

- Unicode compatibility forms (full-width, mathematical letters) and case are folded,
  ё becomes е, combining accents (Russian stress marks) and invisible format characters
  (zero-width spaces and joiners, bidi controls, soft hyphens) are dropped;
- in a word that has Cyrillic letters, look-alikes from other scripts become Cyrillic
  (Latin ``xуй``, Greek ``дурαк``, Armenian ``дօрак``; the pairs come from Unicode's
  confusables data) and so do lone digits (``д0лб`` -> ``долб``, but ``2024г`` stays);
  such a mixed word is also tried with Cyrillic look-alikes made Latin (``cаsino``);
  a Latin word made only of look-alike letters is also tried in Cyrillic (``CYKA``);
  ordinary Latin words and URLs are matched as written;
- ``*``, ``@``, ``#``, ``$``, ``%`` between letters of a word hide one to three letters
  (``х*й``, ``нах@й``, ``п##дец``): such a masked word is compared with every form of the
  list's exact entries;
- letters repeated in a row count once for patterns (``дууураак`` -> ``дурак``);
- three or more single letters with short separators between them form one word
  (``д.у.р.а.к``, ``д у р а к``, ``д-у-р-а-к``).

Entry syntax (one entry per line of a word list, case and ё do not matter):

- ``дурак`` — a word or a lemma: the dictionary's every form of it (дурака, дураками),
  not a surname or another word that merely contains the letters;
- ``дурак*``, ``*пизд*``, ``д?рак`` — a pattern on the spelling, anchored at both ends of
  the word: ``*`` is any run of letters, ``?`` one letter. For what the dictionary cannot
  know (slang, misspellings): a pattern never takes a proper name the dictionary knows,
  and one that starts with ``*`` (a root inside a word) takes only words it does not know;
- ``быстр* заработ*`` — several words: consecutive words of the text, each matching its part
  (a hyphen counts as a space: ``крипто-заработ*``). Allowed exceptions are single words
  and excuse only single-word matches.

Patterns match in linear time (``Glob``): no pattern can make a long word expensive.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from importlib import resources

from .morph import Analysis, analyse, forms_of

# Letters of other scripts that Unicode's confusables data does not pair with the Cyrillic
# letter a Russian reader sees in them: Greek chi (Unicode pairs it with Latin chi) and the
# handwritten u, n (и, п).
_EXTRA_LOOK_ALIKES = {"χ": "х", "u": "и", "n": "п"}
# u (and the Armenian ս that looks like it) is read as у as often as и (xuй): both tried.
# An Armenian letter inside a Cyrillic word is there to dodge a filter, so the round օ is
# also tried as у (дօрак: the о it resembles, and the у of the word it stands in for).
_SECOND_READING = str.maketrans({"u": "у", "ս": "у", "օ": "у"})
_DIGIT_TO_CYRILLIC = {"0": "о", "3": "з", "4": "ч", "6": "б"}
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
# Characters that stand for hidden letters inside a word (х*й, нах@й, п##дец); in a
# word's spelling each run of them is one MASK.
_MASK_CHARS = frozenset("*@#$%")
MASK = "*"
# More masked runs than this in one word is not a disguised word but noise.
_MAX_MASKS = 3
# How many letters one run of mask characters may hide.
_MASK_LETTERS = 3


def _script(char: str) -> str:
    return unicodedata.name(char, "?").split(" ", 1)[0]


@functools.cache
def _confusable_classes() -> dict[str, int]:
    # Unicode's confusables data (confusables.txt, as the package ships it) links each
    # character to those it may be mistaken for; the classes are its connected parts.
    data = json.loads(
        resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8")
    )
    parent: dict[str, str] = {}

    def root(char: str) -> str:
        parent.setdefault(char, char)
        while parent[char] != char:
            parent[char] = parent[parent[char]]
            char = parent[char]
        return char

    for char, homoglyphs in data.items():
        for homoglyph in homoglyphs:
            if len(char) == 1 and len(homoglyph["c"]) == 1:
                parent[root(char)] = root(homoglyph["c"])
    roots: dict[str, int] = {}
    return {char: roots.setdefault(root(char), len(roots)) for char in parent}


@functools.cache
def look_alikes() -> dict[str, str]:
    """Letters of other scripts (folded to lower case) mapped to the Cyrillic one they mimic.

    From Unicode's confusables data: a letter maps to the one Cyrillic letter of its class
    (upper-case pairs count too: Latin B looks like В, so b stands for в), lower-case pairs
    winning over upper-case ones; plus the few pairs the data does not make.
    """
    classes = _confusable_classes()
    cyrillic: dict[int, set[str]] = {}
    for char, group in classes.items():
        folded = char.casefold()
        if _script(char) == "CYRILLIC" and len(folded) == 1 and "а" <= folded <= "я":
            cyrillic.setdefault(group, set()).add(folded)
    table: dict[str, str] = {}
    # Lower-case letters first, so that their pairs win.
    for char in sorted(classes, key=lambda c: not c.islower()):
        targets = cyrillic.get(classes[char], set())
        folded = unicodedata.normalize("NFKC", char).casefold()
        if (
            len(targets) == 1
            and len(folded) == 1
            and folded.isalpha()
            and _script(folded) in {"LATIN", "GREEK", "ARMENIAN"}
        ):
            table.setdefault(folded, next(iter(targets)))
    table.update(_EXTRA_LOOK_ALIKES)
    return table


@functools.cache
def _to_cyrillic() -> dict[int, str]:
    return str.maketrans(look_alikes())


@functools.cache
def _to_latin() -> dict[int, str]:
    # Cyrillic look-alikes inside a Latin word (cаsinо): back to the Latin letter.
    pairs: dict[str, str] = {}
    for latin, cyrillic in sorted(look_alikes().items()):
        if "a" <= latin <= "z":
            pairs.setdefault(cyrillic, latin)
    return str.maketrans(pairs)


@dataclass(frozen=True)
class Word:
    """One word of a text: the spellings to match, and where it stands in the original text.

    ``forms`` have repeated letters collapsed (what patterns compare); ``plain`` are the
    same spellings uncollapsed (what the dictionary is asked: ссылка is not сылка).
    """

    forms: tuple[str, ...]
    start: int
    end: int
    # A spelled-out run without its first letter or two ("и д у р а к" may be "и" + "дурак"):
    # matched as a word of its own, but not part of the text's sequence of words.
    alternative: bool = False
    plain: tuple[str, ...] = ()
    # Capitalised inside a sentence with a surname's ending (Мудаков, Хохлов): the lemma
    # the dictionary gives such a spelling (мудак, хохол) is not taken for it.
    surname: bool = False

    @property
    def masked(self) -> bool:
        """Whether letters of the word are hidden behind mask characters (х*й)."""
        return MASK in self.forms[0]


def _fold(char: str) -> str:
    return "е" if char == "ё" else char


def fold_chars(text: str) -> list[tuple[str, int]]:
    """The text folded for matching, one character at a time, each with its original index."""
    out: list[tuple[str, int]] = []
    for index, char in enumerate(text):
        category = unicodedata.category(char)
        if category == "Cf":
            # Zero-width spaces and joiners, bidi controls, soft hyphens: invisible.
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


def _plain_spellings(word: str) -> list[str]:
    if _CYRILLIC.search(word):
        digits_as_letters = _LONE_DIGIT.sub(lambda m: _DIGIT_TO_CYRILLIC[m.group()], word)
        forms = [digits_as_letters.translate(_to_cyrillic())]
        if any(char in word for char in "uսօ"):
            forms.append(digits_as_letters.translate(_SECOND_READING).translate(_to_cyrillic()))
        if _LATIN.search(word):
            forms.append(word.translate(_to_latin()))
        return forms
    table = look_alikes()
    letters = word.replace(MASK, "")
    if len(letters) >= 4 and all(char in table for char in letters):
        return [word, word.translate(_to_cyrillic())]
    return [word]


def spellings(word: str) -> tuple[str, ...]:
    """The spellings a folded word is matched by, the first being its canonical one."""
    return tuple(dict.fromkeys(collapse(form) for form in _plain_spellings(word)))


def _runs(chars: list[tuple[str, int]]) -> list[tuple[list[tuple[str, int]], str]]:
    # Alternating words and the separator text that follows each one. Mask characters
    # between two letters of a word stay in it, as one MASK per run.
    runs: list[tuple[list[tuple[str, int]], str]] = []
    current: list[tuple[str, int]] = []
    masks: list[tuple[str, int]] = []
    gap = ""
    for char, index in chars:
        if char.isalnum():
            if masks:
                current.append((MASK, masks[0][1]))
                masks = []
            if gap and current:
                runs.append((current, gap))
                current, gap = [], ""
            elif gap:
                gap = ""
            current.append((char, index))
        elif char in _MASK_CHARS and (not gap or not masks):
            # Inside a word or at its end (бл*) a mask; after a gap, one that starts a word.
            if gap:
                if current:
                    runs.append((current, gap))
                current, gap = [], ""
            masks.append((char, index))
        else:
            if masks and current and not gap:
                current.append((MASK, masks[0][1]))
                masks = []
            gap += "".join(mask for mask, _index in masks) + char
            masks = []
    if masks and current and not gap:
        current.append((MASK, masks[0][1]))
    if current:
        runs.append((current, gap))
    return runs


def _word(chars: list[tuple[str, int]], alternative: bool = False) -> Word:
    spelled = "".join(char for char, _index in chars)
    if spelled.count(MASK) > _MAX_MASKS:
        spelled = spelled.replace(MASK, "")
    plain = tuple(dict.fromkeys(_plain_spellings(spelled)))
    return Word(spellings(spelled), chars[0][1], chars[-1][1] + 1, alternative, plain)


_SURNAME_ENDING = re.compile(r"(?:ов|ев|ин|ын)$")
_SENTENCE_END = frozenset(".!?\n")


def _looks_like_surname(text: str, word: Word) -> bool:
    original = text[word.start : word.end]
    if not (original[:1].isupper() and original[1:].islower()):
        return False
    before = text[: word.start].rstrip(' \t"«„“(')
    return (
        bool(before)
        and before[-1] not in _SENTENCE_END
        and bool(_SURNAME_ENDING.search(word.plain[0]))
    )


def words(text: str) -> list[Word]:
    """The words of ``text`` in order, spelled-out ones (``д.у.р.а.к``) joined into one."""
    return [
        replace(word, surname=True) if _looks_like_surname(text, word) else word
        for word in _words(text)
    ]


def _words(text: str) -> list[Word]:
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
        # The run may have swallowed a one-letter word at either end ("с у к и в").
        for skip in range(_MAX_SKIPPED + 1):
            for trim in range(_MAX_SKIPPED + 1):
                if (skip or trim) and len(letters) - skip - trim >= _MIN_SPELLED:
                    out.append(_word(letters[skip : len(letters) - trim], alternative=True))
        i = j + 1
    return out


@functools.lru_cache(maxsize=4096)
def fingerprint(text: str) -> str:
    """The text reduced to its canonical words: equal for reposts that differ only in disguise.

    Memoised: the duplicate rule compares each new comment with up to 200 of the author's
    recent ones, nearly all of which the worker fingerprinted for the previous comment.
    """
    return " ".join(word.forms[0] for word in words(text) if not word.alternative)


MAX_ANALYSED_LENGTH = 40


def analysis(word: Word) -> Analysis:
    """The dictionary's view of a word: the first of its spellings it knows, else a guess."""
    # The analyser's guesser costs more than linear on a very long word, and no Russian
    # word is that long: such a "word" is left to the patterns.
    if word.masked or len(word.forms[0]) > MAX_ANALYSED_LENGTH:
        return Analysis(frozenset(), known=False, name=False)
    candidates = dict.fromkeys(word.plain + word.forms)
    for spelling in candidates:
        found = analyse(spelling)
        if found.known:
            return found
    return analyse(word.plain[0] if word.plain else word.forms[0])


# The most wildcards one pattern may have, and its longest length: together they bound
# the work one pattern does per character of a word (see Glob.match).
MAX_WILDCARDS = 8
MAX_PATTERN_LENGTH = 100


def normalize_pattern(pattern: str) -> str:
    """The canonical spelling of a pattern; ValueError if it is not one (see the module doc)."""
    # "крипто-заработок" is two words in a text, so it is two in a pattern too.
    parts = pattern.replace("-", " ").split()
    if not parts or not all(_PATTERN_PART.match(part) for part in parts):
        raise ValueError(f"not a word pattern: {pattern!r}")
    if len(pattern) > MAX_PATTERN_LENGTH or sum(map(pattern.count, "*?")) > MAX_WILDCARDS:
        raise ValueError(f"a pattern too long or with too many wildcards: {pattern!r}")
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


def _plain_entry(pattern: str) -> str:
    # An entry without wildcards as the dictionary would see it (look-alikes mapped, no
    # letters collapsed): what a word's lemma is compared with.
    folded = "".join(c for c, _ in fold_chars(" ".join(pattern.split())))
    return _plain_spellings(folded)[0]


def _same(segment: str, word: str, at: int) -> bool:
    # ``segment`` (letters and ?) at ``word[at:]``; a MASK in the word is any letter.
    window = word[at : at + len(segment)]
    return len(window) == len(segment) and all(
        p == "?" or p == w or w == MASK for p, w in zip(segment, window, strict=True)
    )


def _find(segment: str, word: str, start: int, stop: int) -> int:
    if "?" not in segment and MASK not in word:
        return word.find(segment, start, stop)
    for at in range(start, stop - len(segment) + 1):
        if _same(segment, word, at):
            return at
    return -1


class Glob:
    """One word pattern (letters, ``?`` for one letter, ``*`` for any run), matched in time
    linear in the word: the pieces between stars are fixed-length, and taking each one at
    its leftmost place is never worse than a later one, so nothing is tried twice. The
    work per character of the word is at most the pattern's length."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        pieces = pattern.split("*")
        self.starred = len(pieces) > 1
        self.head, self.tail = pieces[0], pieces[-1] if self.starred else ""
        self.middle = [piece for piece in pieces[1:-1] if piece]
        self.shortest = len(pattern) - pattern.count("*")

    def match(self, word: str) -> bool:
        """Whether the whole ``word`` matches the pattern."""
        if not self.starred:
            return len(word) == len(self.head) and _same(self.head, word, 0)
        if len(word) < self.shortest or not _same(self.head, word, 0):
            return False
        stop = len(word) - len(self.tail)
        if not _same(self.tail, word, stop):
            return False
        at = len(self.head)
        for piece in self.middle:
            found = _find(piece, word, at, stop)
            if found < 0:
                return False
            at = found + len(piece)
        return True


@dataclass(frozen=True)
class Hit:
    """A span of the text one list matched, and how: ``form`` (the entry's spelling),
    ``lemma`` (the dictionary's lemma of the word), ``pattern`` (a wildcard pattern),
    ``guessed`` (a lemma the analyser only guessed) or ``masked`` (letters hidden)."""

    start: int
    end: int
    how: str
    entry: str

    @property
    def certain(self) -> bool:
        """A match that may reject on its own (a guess or a masked word may not)."""
        return self.how in {"form", "lemma", "pattern"}


class _Part:
    """One word of an entry: exact (a word or a lemma) or a wildcard pattern."""

    def __init__(self, canonical: str, plain: str) -> None:
        self.canonical, self.plain = canonical, plain
        self.glob = Glob(canonical) if "*" in canonical or "?" in canonical else None

    def how(self, word: Word, found: Analysis) -> str | None:
        """How this part matches a word (see Hit), or None."""
        if word.masked:
            return None
        if self.glob is None:
            if self.canonical in word.forms or self.plain in word.plain:
                return "form"
            if self.plain in found.lemmas and not word.surname:
                return "lemma" if found.known else "guessed"
            return None
        # A stem written for a slur does not take a proper name the dictionary knows, and a
        # root anywhere in a word (*ахуе*) only words it does not know: стр-ахуе-т is a
        # form of страховать, not a disguise.
        if found.name or word.surname or (found.known and self.canonical.startswith("*")):
            return None
        if any(self.glob.match(form) for form in word.forms):
            return "pattern"
        return None


class WordList:
    """Compiled entries of one list; ``hits`` and ``find`` give the words they match.

    An entry without wildcards is a word or a lemma: it matches that spelling and every
    form the dictionary gives the same lemma (дурак: дурака, дураками), and a masked word
    that may hide one of those forms (д*рак). An entry with wildcards is a pattern on the
    spelling, for what the dictionary cannot know (slang, deliberate misspellings).
    """

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = sorted({normalize_pattern(p) for p in patterns})
        self._singles: list[_Part] = []
        self._phrases: list[list[_Part]] = []
        for pattern in self.patterns:
            parts = [_Part(part, _plain_entry(part)) for part in pattern.split(" ")]
            (self._phrases.append(parts) if len(parts) > 1 else self._singles.append(parts[0]))
        self._exact = [part for part in self._singles if part.glob is None]

    def __bool__(self) -> bool:
        return bool(self.patterns)

    @functools.cached_property
    def _forms(self) -> dict[int, list[tuple[str, str]]]:
        # Every form of every exact entry by length, for masked words: (form, entry).
        by_length: dict[int, list[tuple[str, str]]] = {}
        for part in self._exact:
            for form in forms_of(part.plain) | {part.canonical}:
                by_length.setdefault(len(form), []).append((form, part.canonical))
        return by_length

    def _masked(self, word: Word) -> str | None:
        spelled = word.plain[0]
        letters = len(spelled) - spelled.count(MASK)
        for length in range(letters + spelled.count(MASK), letters + 1 + _MASK_LETTERS * 2):
            for form, entry in self._forms.get(length, ()):
                if _masked_match(spelled, form):
                    return entry
        return None

    def match(self, word: Word) -> tuple[str, str] | None:
        """How (see Hit) and by which entry one single-word entry matches ``word``."""
        if word.masked:
            entry = self._masked(word) if self._exact else None
            if entry is None:
                # A pattern takes a masked word with each mask as one hidden letter.
                globs = (part.glob for part in self._singles if part.glob is not None)
                entry = next((g.pattern for g in globs if g.match(word.forms[0])), None)
            return ("masked", entry) if entry else None
        found = analysis(word)
        guessed = None
        for part in self._singles:
            how = part.how(word, found)
            if how == "guessed":
                guessed = guessed or ("guessed", part.canonical)
            elif how is not None:
                return how, part.canonical
        return guessed

    def matches(self, word: Word) -> bool:
        """Whether a single-word entry matches ``word``."""
        return self.match(word) is not None

    def hits(self, text_words: list[Word], allowed: WordList | None = None) -> list[Hit]:
        """The words and phrases matched, outer spans first; ``allowed`` words are not."""
        found: list[Hit] = []
        for word in text_words:
            if allowed is not None and allowed.matches(word):
                continue
            matched = self.match(word)
            if matched is not None:
                found.append(Hit(word.start, word.end, *matched))
        sequence = [word for word in text_words if not word.alternative]
        for parts in self._phrases:
            for i in range(len(sequence) - len(parts) + 1):
                chunk = sequence[i : i + len(parts)]
                if all(
                    part.how(word, analysis(word)) in {"form", "lemma", "pattern"}
                    for part, word in zip(parts, chunk, strict=True)
                ):
                    entry = " ".join(part.canonical for part in parts)
                    found.append(Hit(chunk[0].start, chunk[-1].end, "form", entry))
        # A spelled-out run and its shorter alternative may both match: keep the outer span.
        found.sort(key=lambda hit: (hit.start, -hit.end))
        kept: list[Hit] = []
        for hit in found:
            if not kept or hit.end > kept[-1].end:
                kept.append(hit)
        return kept

    def find(self, text_words: list[Word], allowed: WordList | None = None) -> list[list[int]]:
        """Spans ``[start, end]`` of the words and phrases matched; ``allowed`` words are not."""
        return [[hit.start, hit.end] for hit in self.hits(text_words, allowed)]


def _masked_match(masked: str, form: str) -> bool:
    # Each MASK hides one to _MASK_LETTERS letters; the letters around it are as written.
    # At most _MAX_MASKS masks, so the ways to split the form are few (bounded work).
    pieces = masked.split(MASK)
    if not form.startswith(pieces[0]) or not form.endswith(pieces[-1]):
        return False

    def fits(rest: str, index: int) -> bool:
        if index == len(pieces) - 1:
            return 1 <= len(rest) - len(pieces[-1]) <= _MASK_LETTERS
        for hidden in range(1, _MASK_LETTERS + 1):
            after = rest[hidden:]
            if after.startswith(pieces[index]) and fits(after[len(pieces[index]) :], index + 1):
                return True
        return False

    return fits(form[len(pieces[0]) :], 1) if len(pieces) > 1 else masked == form
