"""Signed per-render tokens for the comment forms (the session cookie may never arrive)."""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="widget-comment")


def make_comment_token(thread_id: int) -> str:
    """A signed, timestamped token for the forms of thread ``thread_id``."""
    return _serializer().dumps(thread_id)


def comment_token_valid(token: str | None, thread_id: int) -> bool:
    """True when ``token`` was made by us for ``thread_id`` and has not expired."""
    if not token:
        return False
    try:
        value = _serializer().loads(token, max_age=current_app.config["VOTE_TOKEN_MAX_AGE"])
    except BadSignature:
        return False
    return value == thread_id
