"""The demo portal: a stand-in for the news site that embeds our widgets.

It is a separate, tiny WSGI app on its own origin (``flask demo`` serves it on the
next port), so a new user sees the real cross-origin setup: a page of another site
that includes /embed.js and places a poll, a comment thread and comment counts
with the snippet from the README. Nothing here is part of the widget app.
"""

from __future__ import annotations

import os

from flask import Flask, render_template

from .content import ARTICLE, ARTICLE_SECTIONS, NEWS

DEFAULT_WIDGET_ORIGIN = "http://localhost:8000"


def create_portal_app(widget_origin: str | None = None, archive_path: str = "/polls/") -> Flask:
    """The portal app, embedding widgets from ``widget_origin`` (or $PORTAL_WIDGET_ORIGIN)."""
    app = Flask(__name__)
    origin = (
        widget_origin or os.environ.get("PORTAL_WIDGET_ORIGIN") or DEFAULT_WIDGET_ORIGIN
    ).rstrip("/")

    @app.get("/")
    def article() -> str:
        """The article page: text, comment count, comments, news list and the sidebar poll."""
        return render_template(
            "portal.html",
            widget_origin=origin,
            archive_url=origin + archive_path,
            article=ARTICLE,
            sections=ARTICLE_SECTIONS,
            news=NEWS,
        )

    return app
