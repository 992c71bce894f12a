"""Signed embed parameters: whether a view may set a thread's title and URL.

A thread's title and URL arrive in the iframe's query string, which anyone can write. A
portal that holds a secret (EMBED_SIGNING_KEYS) signs them in its own HTML: HMAC-SHA256
over the thread key, the title and the URL, each UTF-8 and prefixed by its length in bytes
and a colon ("21:bishkek-astana-dialog5:Title19:https://portal.kg/1"), as lowercase hex.
The length prefixes keep the message unambiguous whatever the title contains. The format
is the portal's contract: docs/embedding.md shows it in Python and PHP.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from enum import Enum

from .keys import origin_of

# The hex of a SHA-256 HMAC; anything longer is refused before any hashing.
SIGNATURE_LENGTH = 64


class Claim(Enum):
    """What a view may do with the title and URL it brings."""

    # No secret applies (none is configured for the origin): as before signing existed,
    # the first view sets them and later views change nothing.
    OPEN = "open"
    # Correctly signed: the view sets them, and corrects them when they differ.
    SIGNED = "signed"
    # A secret applies and the signature is missing or wrong: the view sets nothing.
    REFUSED = "refused"


def embed_message(key: str, title: str, url: str) -> bytes:
    """The signed bytes: each field as ``<length in bytes>:<UTF-8 bytes>``, concatenated."""
    # surrogatepass: a lone surrogate cannot come from a portal's UTF-8, but must not raise.
    fields = (value.encode("utf-8", "surrogatepass") for value in (key, title, url))
    return b"".join(b"%d:%s" % (len(field), field) for field in fields)


def embed_signature(secret: str, key: str, title: str, url: str) -> str:
    """The signature a portal holding ``secret`` puts in ``data-signature``."""
    message = embed_message(key, title, url)
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def secrets_for(
    signing_keys: Mapping[str, tuple[str, ...]], page_url: str, framing: str | None
) -> tuple[str, ...]:
    """The secrets that vouch for a view: those of its URL's origin (what the signature
    vouches for), or, for a view without a URL, those of the page that framed it.

    A URL that is not http(s) has no origin and so no secrets: such a view is never
    SIGNED, and may_open_thread refuses to open a thread with it.
    """
    origin = origin_of(page_url) if page_url else framing
    return signing_keys.get(origin, ()) if origin else ()


def judge(secrets: tuple[str, ...], key: str, title: str, url: str, signature: str) -> Claim:
    """OPEN without secrets; else SIGNED if ``signature`` is one of theirs, REFUSED if not.

    Several secrets of one origin are the old and the new one during a rotation. The
    comparison is constant-time (bytes, so a non-ASCII signature is just a wrong one).
    """
    if not secrets:
        return Claim.OPEN
    if len(signature) != SIGNATURE_LENGTH:
        return Claim.REFUSED
    given = signature.lower().encode("utf-8", "surrogatepass")
    matches = [
        hmac.compare_digest(embed_signature(secret, key, title, url).encode(), given)
        for secret in secrets
    ]
    return Claim.SIGNED if any(matches) else Claim.REFUSED
