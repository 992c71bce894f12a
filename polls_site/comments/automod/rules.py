"""The auto-moderator: rules that score a comment, each with a reason a moderator can read.

``evaluate`` is pure: the text, the rules (word lists and thresholds) and a ``Context`` of
what the database knows about the author (their recent comments, an active ban) give a
``Verdict``; ``Rules.build`` compiles word lists and thresholds over the defaults shipped
in ``defaults.toml``, and ``store`` loads the ones staff edit. Word matching and its
evasions live in ``wordmatch``.

A reason is stored in ``Comment.reasons`` as ``{"rule", "score", "detail", "spans"}``:
``detail`` is language-neutral data (the words matched, a count, "4/60" for velocity)
that ``describe_reason`` turns into a sentence; ``spans`` are ``[start, end]`` offsets into
the comment's text, for highlighting.
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext

from .wordmatch import Word, WordList, fingerprint, words

log = logging.getLogger(__name__)

APPROVE, REVIEW, REJECT = "approve", "review", "reject"
WORD_KINDS = ("banned", "suspect", "allowed")
# The list of moderators' exceptions, given to Rules.build beside WORD_KINDS: they free
# words from the suspect list only, never from the banned one (that takes an admin).
MODERATORS_ALLOWED = "allowed_by_moderators"

_LINK = re.compile(
    r"(?:https?://|www\.)[^\s<>\"']+"
    r"|\b(?:[a-z0-9-]+\.)+(?:ru|su|рф|com|net|org|info|biz|io|me|kz|kg|uz|tj|xyz|top|site"
    r"|online|club|pro|bet|cc|ua|by)\b(?:/[^\s<>\"']*)?",
    re.IGNORECASE,
)


@cache
def _defaults() -> dict[str, Any]:
    source = resources.files(__package__).joinpath("defaults.toml")
    return tomllib.loads(source.read_text(encoding="utf-8"))


def default_settings() -> dict[str, int | float]:
    """Every setting's name and default value (the staff editor lists exactly these)."""
    return dict(_defaults()["settings"])


def default_words() -> dict[str, list[str]]:
    """The shipped word lists by kind: banned, suspect, allowed."""
    return {kind: list(_defaults()["words"][kind]) for kind in WORD_KINDS}


def parse_setting(name: str, value: str | int | float) -> int | float:
    """A setting's value as its default's type; ValueError for an unknown name or bad value."""
    defaults = default_settings()
    if name not in defaults:
        raise ValueError(f"unknown setting {name!r}")
    kind = type(defaults[name])
    try:
        parsed = kind(str(value).strip().replace(",", "."))
    except ValueError as exc:
        raise ValueError(f"{name} must be a {kind.__name__}, not {value!r}") from exc
    if parsed < 0 or (name == "caps_ratio" and parsed > 1):
        raise ValueError(f"{name} is out of range: {value!r}")
    return parsed


@dataclass(frozen=True)
class Rules:
    """Compiled word lists and the thresholds in force.

    ``allowed`` (the shipped exceptions and admins') frees words from both lists;
    ``suspect_allowed`` adds moderators' exceptions, and frees words from the suspect list.
    """

    banned: WordList
    suspect: WordList
    allowed: WordList
    settings: Mapping[str, int | float]
    suspect_allowed: WordList

    @classmethod
    def build(
        cls,
        lists: Mapping[str, Iterable[str]] | None = None,
        settings: Mapping[str, str | int | float] | None = None,
    ) -> Rules:
        """Rules from word lists by kind and setting overrides (defaults for the rest).

        Without ``lists`` the shipped lists are used; the lists given are used alone. The
        ``MODERATORS_ALLOWED`` list holds exceptions that free suspect words only.
        """
        lists = default_words() if lists is None else lists
        merged = default_settings()
        for name, value in (settings or {}).items():
            merged[name] = parse_setting(name, value)
        allowed = list(lists.get("allowed", ()))
        limited = [*allowed, *lists.get(MODERATORS_ALLOWED, ())]
        banned, suspect = (WordList(lists.get(kind, ())) for kind in ("banned", "suspect"))
        return cls(banned, suspect, WordList(allowed), merged, WordList(limited))


@dataclass(frozen=True)
class Context:
    """What the database knows about a comment's author, for the rules that need it.

    ``recent_texts``: the author's (same voter or same IP hash) earlier comments within
    ``duplicate_window_seconds``; ``recent_count``: how many they posted within
    ``velocity_seconds`` before this one; ``banned``/``ban_reason``: an active Ban.
    """

    recent_texts: Sequence[str] = ()
    recent_count: int = 0
    banned: bool = False
    ban_reason: str = ""


@dataclass(frozen=True)
class Verdict:
    """The outcome (approve, review or reject), the total score and the reasons behind it."""

    outcome: str
    score: int
    reasons: list[dict[str, Any]] = field(default_factory=list)


def _reason(rule: str, score: int | float, detail: str, spans: list | None = None) -> dict:
    return {"rule": rule, "score": int(score), "detail": detail, "spans": spans or []}


def _fragments(text: str, spans: list[list[int]]) -> str:
    return ", ".join(dict.fromkeys(text[start:end] for start, end in spans))[:200]


def _word_rules(text: str, text_words: list[Word], rules: Rules) -> list[dict]:
    found = []
    banned = rules.banned.hits(text_words, allowed=rules.allowed)
    suspect = rules.suspect.hits(text_words, allowed=rules.suspect_allowed)
    # A banned word the analyser only guessed, or one behind a mask, may be innocent
    # (a surname it does not know, "х*р" may be "хор"): it goes to a moderator, at the
    # suspect score, instead of rejecting on its own.
    by_rule = {
        "banned_word": [h for h in banned if h.certain],
        "masked_word": [h for h in banned if h.how == "masked"],
        "guessed_word": [h for h in banned if h.how == "guessed"],
        "suspect_word": suspect,
    }
    for rule, hits in by_rule.items():
        if hits:
            spans = [[hit.start, hit.end] for hit in hits]
            setting = "banned_word_score" if rule == "banned_word" else "suspect_word_score"
            found.append(_reason(rule, rules.settings[setting], _fragments(text, spans), spans))
    return found


def _links(text: str, rules: Rules) -> dict | None:
    spans = [[m.start(), m.end()] for m in _LINK.finditer(text)]
    if len(spans) > rules.settings["max_links"]:
        return _reason("links", rules.settings["links_score"], str(len(spans)), spans)
    return None


def _caps(text: str, rules: Rules) -> dict | None:
    letters = [c for c in text if c.isalpha()]
    if len(letters) < max(rules.settings["caps_min_letters"], 1):
        return None
    share = sum(c.isupper() for c in letters) / len(letters)
    if share >= rules.settings["caps_ratio"]:
        return _reason("caps", rules.settings["caps_score"], str(round(share * 100)))
    return None


def _repeats(text: str, rules: Rules) -> dict | None:
    times = int(rules.settings["repeat_run"])
    if times < 2:
        return None
    # One to three characters (not spaces, not digits: 1000000 is a number) again and again.
    pattern = re.compile(rf"([^\s\d]{{1,3}}?)\1{{{times - 1},}}")
    spans = [[m.start(), m.end()] for m in pattern.finditer(text)]
    if not spans:
        return None
    detail = ", ".join(dict.fromkeys(text[s:e][:12] for s, e in spans))[:200]
    return _reason("repeated_chars", rules.settings["repeat_score"], detail, spans)


def _context_rules(text: str, rules: Rules, context: Context) -> list[dict]:
    found = []
    settings = rules.settings
    if context.banned:
        found.append(_reason("banned_author", settings["banned_author_score"], context.ban_reason))
    mine = fingerprint(text) if context.recent_texts else ""
    if mine and len(mine) >= settings["duplicate_min_length"]:
        copies = sum(fingerprint(other) == mine for other in context.recent_texts)
        if copies:
            found.append(_reason("duplicate", settings["duplicate_score"], str(copies)))
    posted = context.recent_count + 1
    if posted >= settings["velocity_count"]:
        detail = f"{posted}/{settings['velocity_seconds']}"
        found.append(_reason("velocity", settings["velocity_score"], detail))
    return found


def outcome_for(score: int, settings: Mapping[str, int | float]) -> str:
    """The outcome a total score earns under the cut-offs."""
    if score >= settings["reject_at"]:
        return REJECT
    if score >= settings["review_at"]:
        return REVIEW
    return APPROVE


def evaluate(text: str, rules: Rules, *, context: Context | None = None) -> Verdict:
    """Score ``text`` by every rule; the outcome follows from the total and the cut-offs."""
    reasons = _word_rules(text, words(text), rules)
    for check in (_links, _caps, _repeats):
        reason = check(text, rules)
        if reason is not None:
            reasons.append(reason)
    reasons += _context_rules(text, rules, context or Context())
    score = sum(r["score"] for r in reasons)
    return Verdict(outcome_for(score, rules.settings), score, reasons)


def describe_reason(reason: Mapping[str, Any]) -> str:
    """The sentence a moderator reads for one stored reason, in the current locale."""
    rule, detail = reason.get("rule", ""), str(reason.get("detail", ""))
    if rule == "banned_word":
        return _("Banned words: %(words)s", words=detail)
    if rule == "suspect_word":
        return _("Suspect words: %(words)s", words=detail)
    if rule == "masked_word":
        return _("Masked banned words: %(words)s", words=detail)
    if rule == "guessed_word":
        return _("Words the dictionary does not know, like banned ones: %(words)s", words=detail)
    if rule == "links":
        return _("Too many links: %(count)s", count=detail)
    if rule == "caps":
        return _("Shouting: %(percent)s%% capital letters", percent=detail)
    if rule == "repeated_chars":
        return _("Repeated characters: %(runs)s", runs=detail)
    if rule == "duplicate" and detail.isdigit():
        return ngettext(
            "The same text was posted %(num)d time before",
            "The same text was posted %(num)d times before",
            int(detail),
        )
    if rule == "velocity" and re.fullmatch(r"\d+/\d+", detail):
        count, seconds = (int(n) for n in detail.split("/"))
        return ngettext(
            "Posting fast: %(num)d comment in %(seconds)d seconds",
            "Posting fast: %(num)d comments in %(seconds)d seconds",
            count,
            seconds=seconds,
        )
    if rule == "banned_author":
        if detail:
            return _("The author is banned: %(reason)s", reason=detail)
        return _("The author is banned")
    if rule == "premoderation":
        if detail == "site":
            return _("All comments are premoderated")
        if detail == "first":
            return _("One of the author's first comments")
        return _("This thread is premoderated")
    return f"{rule}: {detail}" if detail else rule
