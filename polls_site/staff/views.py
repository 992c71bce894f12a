"""The redirect after a plain form post that the staff views share."""

from __future__ import annotations

from flask import Response, redirect, request

from .auth import safe_next


def back(default_endpoint_url: str) -> Response:
    """303 to the page the form came from (its ``next`` field), else ``default_endpoint_url``."""
    target = request.form.get("next")
    return redirect(safe_next(target) if target else default_endpoint_url, code=303)
