"""Rendered widget HTML shared by every reader: one variant per request's language, theme
and host, read through this process's near cache and a Redis hash.

Some fragments are the same for everyone (a poll's vote form as a new reader sees it, its
results at a given version, a page of a thread's comments). Rendering them is most of what
a widget request costs, so each is rendered once per variant and cache period.
Redis trouble only means rendering again.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import request

from ..core.i18n import explicit_lang
from ..core.near_cache import near_cache
from ..core.shared_html import shared_html
from .theme import request_theme


def variant(*parts: object) -> str:
    """A hash field for this request: the parts, the language and theme asked for, the host.

    Each changes the rendered HTML: links carry the language and theme on, <body> shows
    the theme, and the page's oEmbed link names the host it was asked through.
    """
    return ":".join([*map(str, parts), explicit_lang() or "-", request_theme().key, request.host])


def cached_html(key: str, field: str, render: Callable[[], str], seconds: int) -> str:
    """The cached HTML at ``key``/``field``, or ``render()``'s, stored for ``seconds``."""
    return near_cache().get_or_load((key, field), lambda: shared_html(key, field, render, seconds))
