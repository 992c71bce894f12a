"""oEmbed (https://oembed.com): a CMS given a poll's URL asks us for the HTML to embed it.

Only our own URLs of pages that show one poll are embeddable; the answer is a
"rich" type whose HTML is the plain iframe snippet (it works where a CMS strips
scripts; embed.js is only needed for automatic resizing).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, url_for
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from ..polls.service import get_public_poll

# Endpoints whose pages show a single poll, and the URL argument holding its id.
POLL_PAGE_ENDPOINTS = {"polls.show": "poll_id", "archive.show": "poll_id"}
DEFAULT_WIDTH = 400
DEFAULT_HEIGHT = 480
MIN_SIZE = 200


def poll_id_for_url(url: str, host: str, scheme: str) -> int | None:
    """The poll shown at ``url`` when it is one of this site's poll pages, else None."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or parts.netloc != host:
        return None
    adapter = current_app.url_map.bind(host, url_scheme=scheme)
    try:
        endpoint, args = adapter.match(parts.path or "/", method="GET")
    except HTTPException:
        return None
    name = POLL_PAGE_ENDPOINTS.get(str(endpoint))
    return int(args[name]) if name else None


def _size(value: str | None, default: int) -> int:
    """``default``, or a smaller positive maximum the consumer asked for."""
    try:
        limit = int(value or "")
    except ValueError:
        return default
    return max(MIN_SIZE, min(default, limit))


def poll_embed(poll_id: int, maxwidth: str | None, maxheight: str | None) -> dict[str, object]:
    """The oEmbed response for one public poll (404 when it is not public)."""
    poll = get_public_poll(poll_id)
    width, height = _size(maxwidth, DEFAULT_WIDTH), _size(maxheight, DEFAULT_HEIGHT)
    src = url_for("polls.show", poll_id=poll.id, _external=True)
    html = (
        f'<iframe src="{escape(src)}" title="{escape(poll.question)}" width="{width}" '
        f'height="{height}" loading="lazy" style="border:0;max-width:100%"></iframe>'
    )
    return {
        "version": "1.0",
        "type": "rich",
        "provider_name": "polls_site",
        "provider_url": url_for("pages.index", _external=True),
        "title": poll.question,
        "width": width,
        "height": height,
        "html": html,
        "cache_age": 3600,
    }
