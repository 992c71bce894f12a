"""What the portal's own pages use: the "Комментарии [N]" badge and the Atom feeds."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, render_template, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from ..core.edge_cache import share_at_edge
from ..models import utcnow
from .counts import comment_counts
from .keys import valid_thread_key
from .threads import FeedEntry, find_thread, latest_approved

bp = Blueprint("comments_portal", __name__, url_prefix="/w/comments")

FEED_SIZE = 50
# XML 1.0 forbids these characters even when escaped; a comment may contain them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@bp.app_template_filter("xml_text")
def xml_text(value: str) -> str:
    """``value`` without the characters an XML document may not contain.

    Markup (already escaped text, e.g. from ``_()`` with arguments) stays Markup, so
    autoescaping does not escape it twice.
    """
    cleaned = _NOT_XML.sub("", value)
    return Markup(cleaned) if isinstance(value, Markup) else cleaned


@bp.get("/<path:thread_key>/-/badge")
def badge(thread_key: str) -> Response:
    """A tiny page with the "Comments [N]" link the portal shows under an article."""
    if not valid_thread_key(thread_key):
        abort(400)
    count = comment_counts([thread_key])[thread_key]
    thread = find_thread(thread_key)
    href = thread.url if thread is not None and thread.url else None
    href = href or url_for("comments.show", thread_key=thread_key)
    response = Response(render_template("comments/badge.html", href=href, count=count))
    share_at_edge(response)
    response.headers["Cache-Control"] = "public, max-age=10"
    return response


def entry_link(entry: FeedEntry) -> str:
    """Where a feed entry leads: the article on the portal at the comment (embed.js passes
    the anchor to the widget, which scrolls there), else the bare widget page at it."""
    anchor = f"comment-{entry.id}"
    if entry.thread_url:
        # The article's own anchor (#top) gives way to the comment's.
        return urlsplit(entry.thread_url)._replace(fragment=anchor).geturl()
    return url_for("comments.show", thread_key=entry.thread_key, _external=True, _anchor=anchor)


def _feed(title: str, self_url: str, entries: list[FeedEntry]) -> Response:
    updated: datetime = (
        max((e.edited_at or e.created_at for e in entries), default=None) or utcnow()
    )
    body = render_template(
        "comments/feed.xml",
        title=title,
        self_url=self_url,
        updated=updated,
        entries=[(e, entry_link(e)) for e in entries],
    )
    response = Response(body, mimetype="application/atom+xml")
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


@bp.get("/<path:thread_key>/-/feed.atom")
def thread_feed(thread_key: str) -> Response:
    """The newest approved comments of one thread, as Atom."""
    if not valid_thread_key(thread_key):
        abort(400)
    thread = find_thread(thread_key)
    if thread is None:
        abort(404)
    return _feed(
        _("Comments: %(title)s", title=thread.title or thread.key),
        url_for(".thread_feed", thread_key=thread.key, _external=True),
        latest_approved(FEED_SIZE, thread.id),
    )


@bp.get("/-/feed.atom")
def site_feed() -> Response:
    """The newest approved comments on the whole site, as Atom."""
    return _feed(
        _("Latest comments"),
        url_for(".site_feed", _external=True),
        latest_approved(FEED_SIZE),
    )
