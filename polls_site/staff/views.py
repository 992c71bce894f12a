"""Helpers the staff views share: htmx or not, and the redirect after a plain form post."""

from __future__ import annotations

from flask import Response, redirect, request

from .auth import safe_next


def is_htmx() -> bool:
    """True for requests made by htmx, which get a fragment instead of a page."""
    return request.headers.get("HX-Request") == "true"


def back(default_endpoint_url: str) -> Response:
    """303 to the page the form came from (its ``next`` field), else ``default_endpoint_url``."""
    target = request.form.get("next")
    return redirect(safe_next(target) if target else default_endpoint_url, code=303)
