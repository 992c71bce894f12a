"""Reader email addresses: one normal form, a check, a keyed hash for opt-outs and limits."""

from __future__ import annotations

import hashlib
import hmac
import re

from flask import current_app

from ..models import EMAIL_LENGTH

# Deliberately plain: one @, no spaces or angle brackets, a dotted domain. The
# confirmation mail is the real test of an address.
_SHAPE = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;.]+$")


def normalise_email(value: str) -> str:
    """The stored form of an address: trimmed, lower-case (providers ignore case)."""
    return value.strip().lower()


def valid_email(value: str) -> bool:
    """True for a normalised address of a deliverable shape and length."""
    return len(value) <= EMAIL_LENGTH and bool(_SHAPE.match(value))


def email_hash(email: str) -> str:
    """A keyed hash of a normalised address: opt-outs and rate limits keep only this."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"email:" + email.encode(), hashlib.sha256).hexdigest()
