"""The auto-moderator's word lists and thresholds, edited by staff (every change audit-logged)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import audit
from ..extensions import db
from ..models import ModerationSetting, ModerationWord, Role, WordKind
from . import bp
from .auth import staff_required

MAX_PATTERN = 100


def clean_pattern(raw: str) -> str:
    """A word pattern as stored: trimmed, lower case, inner runs of spaces collapsed."""
    return " ".join(raw.split()).lower()


def _page(status: int = 200, **extra: object) -> Response:
    words = db.session.scalars(
        sa.select(ModerationWord).order_by(ModerationWord.kind, ModerationWord.pattern)
    ).all()
    by_kind = {kind.value: [w for w in words if w.kind == kind] for kind in WordKind}
    settings = db.session.scalars(sa.select(ModerationSetting).order_by(ModerationSetting.name))
    body = render_template(
        "staff/words.html", by_kind=by_kind, settings=list(settings), kinds=list(WordKind), **extra
    )
    return Response(body, status=status)


@bp.get("/words")
@staff_required(Role.MODERATOR)
def words() -> Response:
    """The banned, suspect and allowed lists, the thresholds, and the test box."""
    return _page()


def _changed() -> None:
    # Tell the workers to reload their rules (wired to automod.rules_changed).
    from .rules import rules_changed

    rules_changed()


@bp.post("/words")
@staff_required(Role.MODERATOR)
def add_word() -> Response:
    """Add a pattern to one list."""
    kind = request.form.get("kind", "")
    pattern = clean_pattern(request.form.get("pattern", ""))
    if kind not in {k.value for k in WordKind}:
        abort(400)
    if not pattern or len(pattern) > MAX_PATTERN:
        flash(_("A pattern is 1 to %(num)d characters long.", num=MAX_PATTERN), "error")
        return redirect(url_for("staff.words"), code=303)
    exists = db.session.scalar(
        sa.select(ModerationWord.id).where(
            ModerationWord.kind == kind, ModerationWord.pattern == pattern
        )
    )
    if exists is None:
        word = ModerationWord(kind=kind, pattern=pattern)
        db.session.add(word)
        db.session.flush()
        audit.record("word.add", "word", word.id, after={"kind": kind, "pattern": pattern})
        db.session.commit()
        _changed()
        flash(_("Added “%(pattern)s”.", pattern=pattern), "success")
    return redirect(url_for("staff.words"), code=303)


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
        _changed()
    return redirect(url_for("staff.words"), code=303)


@bp.post("/settings")
@staff_required(Role.ADMIN)
def set_setting() -> Response:
    """Set one threshold or switch; an empty value goes back to the default."""
    from .rules import setting_names, valid_setting

    name = request.form.get("name", "")
    value = request.form.get("value", "").strip()
    if name not in setting_names():
        abort(400)
    current = db.session.get(ModerationSetting, name)
    before = {"value": current.value} if current else None
    if not value:
        if current is not None:
            db.session.delete(current)
    elif not valid_setting(name, value):
        flash(_("“%(value)s” is not a valid value for %(name)s.", value=value, name=name), "error")
        return redirect(url_for("staff.words"), code=303)
    elif current is None:
        db.session.add(ModerationSetting(name=name, value=value))
    else:
        current.value = value
    audit.record("setting.set", "setting", name, before=before, after={"value": value or None})
    db.session.commit()
    _changed()
    return redirect(url_for("staff.words"), code=303)
