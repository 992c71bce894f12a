"""What the staff views share: the reason a form gives, and the redirect after a plain post."""

from __future__ import annotations

from flask import Response, redirect, request

from ..models import REASON_LENGTH
from .auth import safe_next


def form_reason() -> str:
    """The reason a staff form gives, trimmed to the length the database keeps."""
    return request.form.get("reason", "").strip()[:REASON_LENGTH]


def back(default_endpoint_url: str) -> Response:
    """303 to the page the form came from (its ``next`` field), else ``default_endpoint_url``."""
    target = request.form.get("next")
    return redirect(safe_next(target) if target else default_endpoint_url, code=303)
