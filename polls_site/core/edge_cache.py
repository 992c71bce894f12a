"""Marks for the edge's microcache (deploy/nginx/): which answers every reader shares.

nginx stores an answer only when the app sends ``X-Accel-Expires`` (it ignores
Cache-Control for that, and hides the header from browsers), so nothing is shared by
accident: a view calls ``share_at_edge`` only where it rendered nothing of the reader's
(no identity looked up, no notice of theirs), and the hook below drops the mark again
from any answer that sets a cookie or is not a GET. nginx never answers a request
naming a reader (voter cookie, staff session, stored voter id) from the cache on the
widget pages, so a voter always reaches the app and sees their own screen.
"""

from __future__ import annotations

from flask import Flask, Response, request

EDGE_HEADER = "X-Accel-Expires"
EDGE_SECONDS = 1


def share_at_edge(response: Response, seconds: int = EDGE_SECONDS) -> Response:
    """Let the edge keep ``response`` for ``seconds`` for every reader asking the same URL."""
    response.headers[EDGE_HEADER] = str(seconds)
    return response


def _guard(response: Response) -> Response:
    if EDGE_HEADER in response.headers and (
        request.method not in ("GET", "HEAD")
        or "Set-Cookie" in response.headers
        or response.status_code not in (200, 204, 301, 302, 303, 307, 308)
    ):
        del response.headers[EDGE_HEADER]
    return response


def init_edge_cache(app: Flask) -> None:
    """Register the guard on ``app`` (first registered, so it runs after every other hook)."""
    app.after_request(_guard)
