"""What the auto-moderator's rule and setting names mean to people: staff's labels for the
queue's filter and the thresholds table, and the category a reader is told when their
comment is rejected (never the words matched).

Every rule of ``rules.py`` (and ``premoderation``, added by the job) has a row in each
table; tests/comments/test_labels.py keeps them complete.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

# Rule name -> what a moderator reads in the queue's filter.
RULE_LABELS: dict[str, LazyString] = {
    "banned_word": _l("Banned words"),
    "masked_word": _l("Masked banned words"),
    "guessed_word": _l("Unknown words like banned ones"),
    "suspect_word": _l("Suspect words"),
    "links": _l("Too many links"),
    "caps": _l("Shouting (capitals)"),
    "repeated_chars": _l("Repeated characters"),
    "duplicate": _l("Repeated text"),
    "velocity": _l("Posting too fast"),
    "banned_author": _l("Banned author"),
    "premoderation": _l("Premoderation"),
}

# Rule name -> the category a reader sees for a rejected comment. The banned list holds
# obscenities, slurs and gambling brands alike; a reader is told the broad kind, not the entry.
READER_CATEGORIES: dict[str, LazyString] = {
    "banned_word": _l("obscene language, insults or spam"),
    "masked_word": _l("obscene language"),
    "guessed_word": _l("obscene language"),
    "suspect_word": _l("insults"),
    "links": _l("links"),
    "caps": _l("shouting"),
    "repeated_chars": _l("spam"),
    "duplicate": _l("repeated comment"),
    "velocity": _l("too many comments too fast"),
    "banned_author": _l("the author is banned"),
    "premoderation": _l("premoderation"),
}

# Setting name -> (label, what it does) for the thresholds table.
SETTING_LABELS: dict[str, tuple[LazyString, LazyString]] = {
    "review_at": (_l("Review at"), _l("Total score from which a comment goes to a moderator.")),
    "reject_at": (_l("Reject at"), _l("Total score from which a comment is rejected.")),
    "banned_word_score": (_l("Banned word"), _l("Points for a word from the banned list.")),
    "suspect_word_score": (
        _l("Suspect word"),
        _l("Points for a suspect word, a masked banned word or an unknown word like one."),
    ),
    "max_links": (_l("Links allowed"), _l("More links than this in one comment score points.")),
    "links_score": (_l("Too many links"), _l("Points for more links than allowed.")),
    "caps_min_letters": (
        _l("Shouting: letters"),
        _l("Capitals are counted only in comments with at least this many letters."),
    ),
    "caps_ratio": (
        _l("Shouting: share"),
        _l("Share of capital letters (0 to 1) from which a comment is shouting."),
    ),
    "caps_score": (_l("Shouting"), _l("Points for shouting.")),
    "repeat_run": (
        _l("Repeats: run"),
        _l("The same one to three characters this many times in a row score points."),
    ),
    "repeat_score": (_l("Repeats"), _l("Points for repeated characters.")),
    "duplicate_window_seconds": (
        _l("Repeated text: window"),
        _l("Seconds within which the same text from the same author counts as repeated."),
    ),
    "duplicate_min_length": (
        _l("Repeated text: length"),
        _l("Shorter texts (like “Thank you!”) may be repeated."),
    ),
    "duplicate_score": (_l("Repeated text"), _l("Points for a text repeated.")),
    "velocity_count": (
        _l("Too fast: comments"),
        _l("This many comments (this one included) within the window score points."),
    ),
    "velocity_seconds": (_l("Too fast: window"), _l("The window for posting speed, seconds.")),
    "velocity_score": (_l("Too fast"), _l("Points for posting too fast.")),
    "banned_author_score": (_l("Banned author"), _l("Points for a comment by a banned author.")),
    "use_default_words": (
        _l("Built-in word lists"),
        _l("1: the built-in lists apply with staff's words; 0: staff's words alone."),
    ),
}


def rule_label(rule: str) -> str:
    """A rule's label for staff, in the current locale (an unknown rule: its name)."""
    label = RULE_LABELS.get(rule)
    return str(label) if label is not None else rule


def reader_categories(reasons: list[dict] | None) -> list[str]:
    """The categories a reader is told for a rejected comment's reasons, strongest first,
    each once; only rules that scored (a reason of 0 points decided nothing)."""
    ranked = sorted(
        (r for r in reasons or [] if isinstance(r, dict) and r.get("score", 0) > 0),
        key=lambda r: -int(r.get("score", 0)),
    )
    labels = (READER_CATEGORIES.get(str(r.get("rule", ""))) for r in ranked)
    return list(dict.fromkeys(str(label) for label in labels if label is not None))
