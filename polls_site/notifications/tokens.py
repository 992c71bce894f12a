"""Signed links in reader mail: confirm a subscription, unsubscribe from a thread or all."""

from __future__ import annotations

from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

_CONFIRM = "notify-confirm"
_UNSUBSCRIBE = "notify-unsubscribe"


def _serializer(salt: str) -> URLSafeTimedSerializer:
    config = current_app.config
    keys = [*config.get("SECRET_KEY_FALLBACKS", []), config["SECRET_KEY"]]
    return URLSafeTimedSerializer(keys, salt=salt)


def confirm_token(subscription_id: int, email: str) -> str:
    """The token of a confirmation link; it expires after NOTIFY_CONFIRM_MAX_AGE."""
    return _serializer(_CONFIRM).dumps({"s": subscription_id, "e": email})


def read_confirm_token(token: str) -> dict[str, Any] | None:
    """The subscription id and address of a valid, unexpired confirmation token, else None."""
    max_age = current_app.config["NOTIFY_CONFIRM_MAX_AGE"]
    try:
        data = _serializer(_CONFIRM).loads(token, max_age=max_age)
    except BadSignature:  # SignatureExpired is one too
        return None
    return data if isinstance(data, dict) and {"s", "e"} <= data.keys() else None


def unsubscribe_token(email: str, thread_id: int | None) -> str:
    """The token of an unsubscribe link: one thread, or everything when ``thread_id`` is None.

    It does not expire: an unsubscribe link must work in any old message (RFC 8058).
    """
    return _serializer(_UNSUBSCRIBE).dumps({"e": email, "t": thread_id})


def read_unsubscribe_token(token: str) -> dict[str, Any] | None:
    """The address and thread (or None for all) of a valid unsubscribe token, else None."""
    try:
        data = _serializer(_UNSUBSCRIBE).loads(token)
    except BadSignature:
        return None
    return data if isinstance(data, dict) and {"e", "t"} <= data.keys() else None
