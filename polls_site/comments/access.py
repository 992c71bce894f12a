"""Which thread a widget request addresses, and a clear refusal when it cannot have one."""

from __future__ import annotations

from flask import abort, current_app, request
from flask_babel import gettext as _

from ..core.clients import client_ip, limit_hash
from ..core.converters import parse_id
from ..core.db import db
from ..core.errors import render_error
from ..models import Comment, CommentStatus
from .keys import may_open_thread, valid_thread_key
from .limits import admit_thread_open
from .screens import ReplyTarget
from .threads import ThreadInfo, find_thread, open_thread


def _checked_key(thread_key: str) -> None:
    if not valid_thread_key(thread_key):
        abort(
            render_error(
                400,
                _(
                    "This discussion address is not valid: use 1 to 200 lowercase Latin "
                    "letters, digits, dots, dashes, underscores and slashes."
                ),
            )
        )


def existing_thread(thread_key: str) -> ThreadInfo:
    """The thread for ``thread_key``; 400 for a malformed key, 404 for an unknown one."""
    _checked_key(thread_key)
    thread = find_thread(thread_key)
    if thread is None:
        abort(404)
    return thread


def thread_for_reading(thread_key: str) -> ThreadInfo:
    """The thread for ``thread_key``, created on a first view from a portal page; else 400."""
    _checked_key(thread_key)
    thread = find_thread(thread_key)
    if thread is not None:
        return thread
    page_url = request.args.get("url", "")
    if not may_open_thread(
        current_app.config["EMBED_ALLOWED_ORIGINS"],
        referer=request.headers.get("Referer"),
        origin=request.headers.get("Origin"),
        page_url=page_url,
    ):
        abort(
            render_error(
                400,
                _(
                    "There is no such discussion yet. A discussion is opened only by an "
                    "article page of the portal."
                ),
            )
        )
    admission = admit_thread_open(limit_hash(client_ip()))
    if admission.verdict == "limited":
        response = render_error(
            429, _("Too many new discussions from your network. Please try again later.")
        )
        response.headers["Retry-After"] = str(admission.retry_after)
        abort(response)
    return open_thread(thread_key, request.args.get("title", ""), page_url)


def reply_target(thread: ThreadInfo, value: str | int | None) -> ReplyTarget | None:
    """The approved comment of this thread a reply form answers, if ``value`` names one."""
    comment_id = parse_id(value)
    comment = db.session.get(Comment, comment_id) if comment_id else None
    if comment is None or comment.thread_id != thread.id:
        return None
    if comment.status != CommentStatus.APPROVED:
        return None
    return ReplyTarget(comment.id, comment.author_name)
