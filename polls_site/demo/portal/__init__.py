"""The demo portal: a stand-in for the news site that embeds our widgets.

It is a separate, tiny WSGI app on its own origin (``flask demo`` serves it on the
next port), so a new user sees the real cross-origin setup: a page of another site
that includes /embed.js and places a poll, a comment thread and comment counts
with the snippet from the README. Nothing here is part of the widget app.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from urllib.parse import urlencode

from flask import Flask, render_template, request

from .content import ARTICLE, ARTICLE_SECTIONS, NEWS

DEFAULT_WIDGET_ORIGIN = "http://localhost:8000"


def embed_signature(secret: str, key: str, title: str, url: str) -> str:
    """What a portal computes for ``data-signature`` (docs/embedding.md): written here as a
    portal would, from the documented format, not imported from the widget app."""
    message = b"".join(b"%d:%s" % (len(f), f) for f in (v.encode() for v in (key, title, url)))
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def create_portal_app(
    widget_origin: str | None = None,
    archive_path: str = "/polls/",
    signing_key: str | None = None,
) -> Flask:
    """The portal app, embedding widgets from ``widget_origin`` (or $PORTAL_WIDGET_ORIGIN);
    with ``signing_key`` (or $PORTAL_SIGNING_KEY) it signs the comment thread's parameters."""
    app = Flask(__name__)
    origin = (
        widget_origin or os.environ.get("PORTAL_WIDGET_ORIGIN") or DEFAULT_WIDGET_ORIGIN
    ).rstrip("/")
    secret = signing_key or os.environ.get("PORTAL_SIGNING_KEY")

    @app.get("/")
    def article() -> str:
        """The article page: text, comment count, comments, news list and the sidebar poll."""
        page_url = request.url_root
        signature = embed_signature(secret, ARTICLE.key, ARTICLE.title, page_url) if secret else ""
        # What embed.js would load, for readers without scripts (the README's plain iframe).
        frame_query = {"title": ARTICLE.title, "url": page_url} | (
            {"sig": signature} if signature else {}
        )
        return render_template(
            "portal.html",
            widget_origin=origin,
            archive_url=origin + archive_path,
            article=ARTICLE,
            page_url=page_url,
            signature=signature,
            comments_src=f"{origin}/w/comments/{ARTICLE.key}?{urlencode(frame_query)}",
            sections=ARTICLE_SECTIONS,
            news=NEWS,
        )

    return app
