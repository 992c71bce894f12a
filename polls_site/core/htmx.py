"""Whether a request was made by htmx, which gets a fragment instead of a whole page."""

from __future__ import annotations

from flask import request


def is_htmx() -> bool:
    """True for requests made by htmx (the ``HX-Request: true`` header)."""
    return request.headers.get("HX-Request") == "true"
