"""The one rendering path from a comment's text, as written, to the HTML every page shows."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import nh3
from markupsafe import escape

# Bare "www." links are linkified too; readers paste them that way.
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'`]+", re.IGNORECASE)
# Punctuation that ends a sentence rather than the link it follows.
_TRAILING = ".,;:!?)»\u201d'"
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
# Bidi overrides and isolates can make a link read as something else (and a name as
# another: "\u202eнимда\u202c Редакция" shows as "админ Редакция"); zero-width characters
# hide words from the auto-moderator. None belongs in a comment or an author's name.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def without_invisible(text: str) -> str:
    """``text`` without bidi controls and zero-width characters."""
    return _INVISIBLE.sub("", text)


_TAGS = {"p", "br", "a"}
_ATTRIBUTES = {"a": {"href"}}
_LINK_REL = "nofollow ugc noopener noreferrer"


def _href(url: str) -> str | None:
    """The address a found URL links to, or None when it is no valid http(s) address.

    nh3 drops an href it cannot parse ("www.javascript:alert(1)" has no valid port), which
    would leave an empty anchor: such text stays text.
    """
    href = url if "://" in url else "http://" + url
    try:
        parts = urlsplit(href)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return None
    return href if parts.hostname else None


def _linkify(line: str) -> str:
    """Escape one line and turn the URLs in it into links."""
    out: list[str] = []
    last = 0
    for match in _URL.finditer(line):
        url = match.group(0)
        trimmed = url.rstrip(_TRAILING)
        # Keep a closing parenthesis that belongs to the URL (Wikipedia-style links).
        if url != trimmed and url[len(trimmed)] == ")" and "(" in trimmed:
            trimmed += ")"
        href = _href(trimmed)
        if href is None:
            continue
        end = match.start() + len(trimmed)
        out.append(str(escape(line[last : match.start()])))
        out.append(f'<a href="{escape(href)}">{escape(trimmed)}</a>')
        last = end
    out.append(str(escape(line[last:])))
    return "".join(out)


def render_comment_html(text: str) -> str:
    """Render a comment: escaped, paragraphs and line breaks kept, links that are safe to follow.

    The result passes through nh3 with an allowlist of `p`, `br` and `a href` (http and
    https only), so no other tag and no `on*`, `hx-*` or `style` attribute can survive even
    if the escaping above had a bug. Store it when the comment is written or edited.
    """
    text = without_invisible(text.replace("\r\n", "\n").replace("\r", "\n")).strip()
    paragraphs = [p for p in _PARAGRAPH_BREAK.split(text) if p.strip()]
    html = "".join(
        "<p>" + "<br>".join(_linkify(line) for line in para.split("\n")) + "</p>"
        for para in paragraphs
    )
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https"},
        link_rel=_LINK_REL,
        # Inside an iframe a followed link must open a new tab, not replace the widget.
        set_tag_attribute_values={"a": {"target": "_blank"}},
    )
