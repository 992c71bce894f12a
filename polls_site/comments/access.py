"""Which thread a widget request addresses, and a clear refusal when it cannot have one."""

from __future__ import annotations

import logging

from flask import abort, current_app, request
from flask_babel import gettext as _

from ..core.clients import client_ip, limit_hash
from ..core.converters import parse_id
from ..core.db import db
from ..core.errors import render_error
from ..models import Comment, CommentStatus
from .keys import framing_origin, may_open_thread, valid_thread_key
from .limits import admit_thread_open
from .screens import ReplyTarget
from .signing import Claim, judge, secrets_for
from .threads import ThreadInfo, correct_thread, find_thread, open_thread

log = logging.getLogger(__name__)


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


def _claim(thread_key: str, title: str, page_url: str) -> Claim:
    """What this view may do with its title and URL (comments/signing.py)."""
    secrets = secrets_for(
        current_app.config["EMBED_SIGNING_KEYS"],
        page_url,
        framing_origin(request.headers.get("Referer"), request.headers.get("Origin")),
    )
    claim = judge(secrets, thread_key, title, page_url, request.args.get("sig", ""))
    if claim is Claim.REFUSED and request.args.get("sig"):
        # A forged one, or the portal signs with a secret we do not have (a rotation
        # half done): the thread still shows, and the operator should hear of it.
        log.warning("embed signature refused for thread %s", thread_key)
    return claim


def thread_for_reading(thread_key: str) -> ThreadInfo:
    """The thread for ``thread_key``, created on a first view from a portal page; else 400.

    Where the portal signs its embed parameters, only a signed view sets the title and
    URL: an unsigned first view opens the thread without them (readers can still comment),
    and a signed view, first or later, sets or corrects them.
    """
    _checked_key(thread_key)
    title, page_url = request.args.get("title", ""), request.args.get("url", "")
    claim = _claim(thread_key, title, page_url)
    thread = find_thread(thread_key)
    if thread is not None:
        return correct_thread(thread, title, page_url) if claim is Claim.SIGNED else thread
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
    if claim is Claim.REFUSED:
        return open_thread(thread_key, "", "")
    thread = open_thread(thread_key, title, page_url)
    # An unsigned view may have opened it a moment before this signed one.
    return correct_thread(thread, title, page_url) if claim is Claim.SIGNED else thread


def reply_target(thread: ThreadInfo, value: str | int | None) -> ReplyTarget | None:
    """The approved comment of this thread a reply form answers, if ``value`` names one."""
    comment_id = parse_id(value)
    comment = db.session.get(Comment, comment_id) if comment_id else None
    if comment is None or comment.thread_id != thread.id:
        return None
    if comment.status != CommentStatus.APPROVED:
        return None
    return ReplyTarget(comment.id, comment.author_name)


def published_comment(thread: ThreadInfo, comment_id: int) -> Comment:
    """The approved comment ``comment_id`` of ``thread`` (what readers may like or report),
    else 404."""
    comment = db.session.get(Comment, comment_id)
    if (
        comment is None
        or comment.thread_id != thread.id
        or comment.status != CommentStatus.APPROVED
    ):
        abort(404)
    return comment
