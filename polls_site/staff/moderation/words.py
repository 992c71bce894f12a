"""The auto-moderator's word lists and thresholds, edited by staff, and the "test this text" box.

Who may add what: moderators add banned and suspect entries (words, lemmas, patterns)
and allowed exceptions that are exact words or lemmas; only an admin adds an allowed
pattern (``*``, ``?``: one broad pattern would switch a list off) or an exception to a
word the banned list catches, and only an admin's exceptions free banned words when the
rules are applied (``automod.store``). Thresholds are admin-only too.

Every change is audit-logged and followed by `rules_changed()`, so the workers and
web processes reload the rules.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ...comments.automod import rules as automod
from ...comments.automod.labels import SETTING_LABELS
from ...comments.automod.store import load_rules, rules_changed
from ...comments.automod.wordmatch import WordList, normalize_pattern
from ...comments.automod.wordmatch import words as split_words
from ...core.db import db
from ...core.htmx import is_htmx
from ...models import ModerationSetting, ModerationWord, Role, WordKind
from .. import audit
from ..auth import current_staff, has_role, staff_required
from ..blueprint import bp
from .highlight import highlight

MAX_PATTERN = 100
MAX_TEST_TEXT = 5000


def clean_pattern(raw: str) -> str:
    """A word pattern as stored: trimmed, lower case, inner runs of spaces collapsed."""
    return " ".join(raw.split()).lower()


def banned_entry_freed(pattern: str, banned: WordList) -> str | None:
    """The banned entry an allowed ``pattern`` would free, or None.

    Caught when the pattern is a form of a banned lemma, has a banned lemma as its own,
    or is a spelling a banned pattern takes (a guess counts: an admin decides).
    """
    for word in split_words(pattern):
        matched = banned.match(word)
        if matched is not None:
            return matched[1]
    return None


def allowed_refusal(pattern: str, banned: WordList) -> str | None:
    """Why a moderator (not an admin) may not add ``pattern`` as allowed, or None."""
    if "*" in pattern or "?" in pattern:
        return _(
            "Only an admin may add an exception with * or ?: "
            "a moderator's exception is an exact word or lemma."
        )
    entry = banned_entry_freed(pattern, banned)
    if entry is not None:
        return _(
            "“%(pattern)s” is caught by the banned entry “%(entry)s”: "
            "only an admin may make an exception to a banned word.",
            pattern=pattern,
            entry=entry,
        )
    return None


def settings_in_force() -> list[tuple[str, object, str | None]]:
    """(name, default, staff's value or None) for every setting the auto-moderator knows."""
    query = sa.select(ModerationSetting.name, ModerationSetting.value)
    stored = {name: value for name, value in db.session.execute(query)}
    return [
        (name, default, stored.get(name)) for name, default in automod.default_settings().items()
    ]


def _page(status: int = 200, **extra: object) -> Response:
    words = db.session.scalars(
        sa.select(ModerationWord).order_by(ModerationWord.kind, ModerationWord.pattern)
    ).all()
    body = render_template(
        "staff/words.html",
        by_kind={kind.value: [w for w in words if w.kind == kind] for kind in WordKind},
        kinds=list(WordKind),
        defaults=automod.default_words(),
        settings=settings_in_force(),
        setting_labels=SETTING_LABELS,
        can_set=has_role(current_staff(), Role.ADMIN),
        **extra,
    )
    return Response(body, status=status)


@bp.get("/words")
@staff_required(Role.MODERATOR)
def words() -> Response:
    """The banned, suspect and allowed lists, the thresholds, and the test box."""
    return _page()


@bp.post("/words/test")
@staff_required(Role.MODERATOR)
def test_text() -> Response:
    """What the rules in force decide for a text, and why (nothing is stored)."""
    text = request.form.get("text", "")[:MAX_TEST_TEXT]
    verdict = automod.evaluate(text, load_rules()) if text.strip() else None
    context = {
        "text": text,
        "verdict": verdict,
        "marked": highlight(text, verdict.reasons) if verdict else "",
        "described": [automod.describe_reason(r) for r in verdict.reasons] if verdict else [],
    }
    if is_htmx():
        return Response(render_template("staff/_verdict.html", **context))
    return _page(**context)


def _back() -> Response:
    return redirect(url_for("staff.words"), code=303)


@bp.post("/words")
@staff_required(Role.MODERATOR)
def add_word() -> Response:
    """Add a pattern to one list."""
    kind = request.form.get("kind", "")
    if kind not in {k.value for k in WordKind}:
        abort(400)
    pattern = clean_pattern(request.form.get("pattern", ""))
    try:
        if len(pattern) > MAX_PATTERN:
            raise ValueError(pattern)
        normalize_pattern(pattern)
    except ValueError:
        flash(
            _(
                "“%(pattern)s” is not a word pattern: letters, spaces and * or ?, "
                "up to %(num)d characters.",
                pattern=pattern[:MAX_PATTERN],
                num=MAX_PATTERN,
            ),
            "error",
        )
        return _back()
    by_admin = has_role(current_staff(), Role.ADMIN)
    if kind == "allowed" and not by_admin:
        refusal = allowed_refusal(pattern, load_rules().banned)
        if refusal is not None:
            flash(refusal, "error")
            return _back()
    exists = db.session.scalar(
        sa.select(ModerationWord.id).where(
            ModerationWord.kind == kind, ModerationWord.pattern == pattern
        )
    )
    if exists is None:
        word = ModerationWord(kind=kind, pattern=pattern, by_admin=by_admin)
        db.session.add(word)
        db.session.flush()
        after = {"kind": kind, "pattern": pattern, "by_admin": by_admin}
        audit.record("word.add", "word", word.id, after=after)
        db.session.commit()
        rules_changed()
        flash(_("Added “%(pattern)s”.", pattern=pattern), "success")
    return _back()


@bp.post("/words/<int:word_id>/delete")
@staff_required(Role.MODERATOR)
def delete_word(word_id: int) -> Response:
    """Take a pattern off its list."""
    word = db.session.get(ModerationWord, word_id)
    if word is not None:
        audit.record(
            "word.delete", "word", word.id, before={"kind": word.kind, "pattern": word.pattern}
        )
        db.session.delete(word)
        db.session.commit()
        rules_changed()
    return _back()


@bp.post("/settings")
@staff_required(Role.ADMIN)
def set_setting() -> Response:
    """Set one threshold or switch; an empty value goes back to the default."""
    name = request.form.get("name", "")
    raw = request.form.get("value", "").strip()
    if name not in automod.default_settings():
        abort(400)
    current = db.session.get(ModerationSetting, name)
    before = {"value": current.value} if current else None
    if not raw:
        if current is None:
            return _back()
        db.session.delete(current)
        value = None
    else:
        try:
            value = str(automod.parse_setting(name, raw))
        except ValueError:
            flash(
                _(
                    "“%(value)s” is not a valid value for %(name)s.",
                    value=raw,
                    name=SETTING_LABELS[name][0] if name in SETTING_LABELS else name,
                ),
                "error",
            )
            return _back()
        if current is None:
            db.session.add(ModerationSetting(name=name, value=value))
        else:
            current.value = value
    audit.record("setting.set", "setting", name, before=before, after={"value": value})
    db.session.commit()
    rules_changed()
    return _back()
