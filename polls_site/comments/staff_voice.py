"""Staff writing as staff: who may (a hook the staff area registers), their badge, and
the one path that stores such a comment, published at once.

The comment widget sits below the staff area in the layers, so it cannot ask who is
logged in; the staff blueprint registers two callables when it joins the app: one
naming the logged-in staff member (or None), one adding the audit row of their comment.
Without the staff area (or with STAFF_POST_FROM_WIDGET off) the widget knows no staff.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask, current_app

from ..core.db import db
from ..models import Comment, CommentStatus, Thread, utcnow
from .render import render_comment_html
from .status import change_status, thread_changed
from .threads import ThreadInfo

# Badge codes as stored in comments.staff_badge; the labels are in the widget's
# templates (comments/_badge.html) so the cached list renders them per language.
EDITORIAL, MODERATOR = "editorial", "moderator"
BADGES = (EDITORIAL, MODERATOR)
# A staff comment's voter key: never a reader's ("c:", "f:", "s:" for a stored id).
STAFF_VOTER_PREFIX = "staff:"


@dataclass(frozen=True)
class StaffVoice:
    """A staff member as their comments show them."""

    staff_id: int
    name: str
    badge: str


def badge_for_role(role: str) -> str:
    """The badge a role writes with: «Редакция» for editors and admins, else «Модератор»."""
    return MODERATOR if role == "moderator" else EDITORIAL


VoiceLookup = Callable[[], StaffVoice | None]
AuditHook = Callable[[Comment, StaffVoice], None]


def register_staff_voice(app: Flask, lookup: VoiceLookup, audit: AuditHook) -> None:
    """Let ``app``'s widget ask ``lookup`` who is writing and log staff comments by ``audit``."""
    app.extensions["staff_voice"] = (lookup, audit)


def widget_voice() -> StaffVoice | None:
    """The staff member writing from the widget in this request, or None (a reader).

    Only a staff session cookie names one, and the browser sends that cookie (SameSite=Lax)
    only where the widget is on the portal's own site; form fields never do.
    """
    hooks = current_app.extensions.get("staff_voice")
    if hooks is None or not current_app.config["STAFF_POST_FROM_WIDGET"]:
        return None
    return hooks[0]()


def _parent_ok(thread_id: int, parent_id: int) -> bool:
    parent = db.session.get(Comment, parent_id)
    return (
        parent is not None
        and parent.thread_id == thread_id
        and parent.status == CommentStatus.APPROVED
    )


def post_staff_comment(
    thread: ThreadInfo, voice: StaffVoice, text: str, parent_id: int | None
) -> int | None:
    """Store ``voice``'s comment as approved (no auto-moderation, no reader limits),
    audit-logged in the same transaction; its id, or None when the parent is not a
    published comment of the thread.

    A closed thread takes staff comments too: a note on why it closed is the usual one.
    """
    if parent_id is not None and not _parent_ok(thread.id, parent_id):
        return None
    now = utcnow()
    comment = Comment(
        thread_id=thread.id,
        parent_id=parent_id,
        author_name=voice.name,
        text=text,
        html=render_comment_html(text),
        status=CommentStatus.PENDING,
        voter_key=f"{STAFF_VOTER_PREFIX}{voice.staff_id}",
        staff_user_id=voice.staff_id,
        staff_badge=voice.badge,
        created_at=now,
    )
    db.session.add(comment)
    db.session.flush()
    # Through the one status path: the thread's count, and a reply mail to the reader
    # answered (sent only after this commit).
    change_status(comment, CommentStatus.APPROVED, staff_id=voice.staff_id)
    db.session.execute(
        sa.update(Thread)
        .where(Thread.id == thread.id, Thread.first_comment_at.is_(None))
        .values(first_comment_at=now)
    )
    current_app.extensions["staff_voice"][1](comment, voice)
    db.session.commit()
    thread_changed(thread.id, thread.key)
    return comment.id
