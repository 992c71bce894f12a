"""Which thread keys and which portal pages may open a comment thread.

A thread row is created on its first view, so both checks guard the database
against junk: the key must be well-formed and the framing page must be one of
the configured portal origins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

MAX_KEY_LENGTH = 200
# Path-like segments of lowercase letters, digits, dots, dashes and underscores, each
# starting with a letter or digit: "news/2026/bishkek-astana.html". A segment "-" can
# therefore never occur, which keeps the widget's own "/-/..." sub-addresses apart.
_KEY = re.compile(r"[a-z0-9][a-z0-9._-]*(?:/[a-z0-9][a-z0-9._-]*)*")


def valid_thread_key(key: str) -> bool:
    """True for a key of 1–200 characters made of well-formed path segments."""
    return 0 < len(key) <= MAX_KEY_LENGTH and _KEY.fullmatch(key) is not None


def origin_of(url: str | None) -> str | None:
    """The "scheme://host[:port]" of an http(s) URL, lowercased, or None."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.netloc or "@" in parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc.lower()}"


def framing_origin(referer: str | None, origin: str | None) -> str | None:
    """The origin of the page that framed the widget: its Origin header when the browser
    sends one, else its Referer's."""
    return origin_of(origin) if origin and origin != "null" else origin_of(referer)


def may_open_thread(
    allowed: Iterable[str], *, referer: str | None, origin: str | None, page_url: str | None
) -> bool:
    """May this request create a thread?

    The framing page must be a portal page: its Referer (or Origin, when the browser
    sends one) names an allowed origin. The article URL the portal passes, if any, must
    also be on an allowed origin, so the thread never points readers elsewhere.
    """
    allowed_set = {a.lower().rstrip("/") for a in allowed}
    framing = framing_origin(referer, origin)
    if framing not in allowed_set:
        return False
    return not page_url or origin_of(page_url) in allowed_set
