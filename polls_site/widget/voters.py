"""Who is reading: the reader's identity, kept where the browser lets us, and the widget
form tokens.

Inside a cross-site iframe the browser may keep no cookie at all (Safari; Chrome
with third-party cookies blocked, or over plain HTTP), so the identity has layers,
strongest first (docs/identity.md says what each costs a reader):

1. the voter cookie ``pv``: first-party where the widgets are served from the portal's
   own site (the recommended setup), partitioned (CHIPS) over HTTPS otherwise;
2. the same signed value kept by widget.js in the iframe's own storage (partitioned per
   top-level site, so it survives where third-party cookies do not) and sent back in
   the ``X-Voter-Id`` header;
3. only with neither (no cookie and no script storage): a keyed hash of the network
   prefix and the browser, which a whole carrier NAT of one phone model can share.

The value is the signed voter key itself (``c:<random id>``, or ``f:<fingerprint>`` for
a reader first seen without either), so a reader first recognised by fingerprint who
turns out to keep cookies stays the same voter. Nothing is minted on a GET: the form a
new reader sees is the same for everyone (an edge may cache it); the identity is made on
the reader's first POST, and only when the script says it can keep it
(``X-Voter-Id: new``).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request
from itsdangerous import BadSignature, Signer, URLSafeTimedSerializer

from ..core.clients import client_ip, keyed_hash, network_prefix
from ..core.keys import signing_keys

VOTER_COOKIE = "pv"
VOTER_COOKIE_MAX_AGE = 365 * 24 * 3600
# Request: the stored signed key, or "new" when the script can keep one but has none.
# Response: the signed key for the script to store.
VOTER_HEADER = "X-Voter-Id"
NEW_VOTER = "new"
_MAX_SIGNED = 200  # a signed key is ~70 characters; anything longer is not ours

COOKIE, STORAGE, MINTED, FINGERPRINT = "cookie", "storage", "minted", "fingerprint"


@dataclass(frozen=True)
class Voter:
    """A reader as far as dedupe is concerned."""

    key: str  # stored on the ballot: "c:<random id>" or "f:<fingerprint hash>"
    source: str  # COOKIE, STORAGE, MINTED (this request) or FINGERPRINT

    @property
    def has_cookie(self) -> bool:
        """True when the browser sent the voter cookie with this request."""
        return self.source == COOKIE

    @property
    def by_fingerprint(self) -> bool:
        """True when nothing of the browser's own said who this is (the last resort)."""
        return self.source == FINGERPRINT


def _signer() -> Signer:
    return Signer(signing_keys(), salt="voter-cookie")


def unsign_voter(raw: str | None) -> str | None:
    """The voter key a signed value (cookie or stored) carries, or None if it is not ours.

    Cookies of earlier releases carry the bare random id: that is the key ``c:<id>``.
    """
    if not raw or len(raw) > _MAX_SIGNED:
        return None
    try:
        value = _signer().unsign(raw).decode()
    except (BadSignature, UnicodeDecodeError):
        return None
    if value.startswith(("c:", "f:")):
        return value
    return f"c:{value}"


def sign_voter(key: str) -> str:
    """The signed value of voter ``key``, for the cookie and the script's storage."""
    return _signer().sign(key).decode()


def _fingerprint_key() -> str:
    browser = "|".join(
        (
            network_prefix(client_ip()),
            request.headers.get("User-Agent", ""),
            request.headers.get("Accept-Language", ""),
        )
    )
    return f"f:{keyed_hash('fingerprint', browser)}"


def _named_voter() -> Voter | None:
    """The reader this request names (cookie, then stored id), or None; once per request.

    Apart from the fingerprint: most requests are new readers' page loads, which only ask
    whether the reader is known, and hashing the network and browser is half their cost.
    """
    if "named_voter" not in g:
        voter = None
        key = unsign_voter(request.cookies.get(VOTER_COOKIE))
        if key:
            voter = Voter(key, COOKIE)
        else:
            key = unsign_voter(request.headers.get(VOTER_HEADER, ""))
            if key:
                voter = Voter(key, STORAGE)
        g.named_voter = voter
    return g.named_voter


def _resolve_voter(mint: bool) -> Voter:
    named = _named_voter()
    if named is not None:
        return named
    if mint and request.headers.get(VOTER_HEADER, "") == NEW_VOTER:
        return Voter(f"c:{secrets.token_urlsafe(16)}", MINTED)
    return Voter(_fingerprint_key(), FINGERPRINT)


def current_voter(mint: bool = False) -> Voter:
    """The reader behind this request (resolved once per request).

    ``mint`` (a POST that records something for the reader): a reader whose script can
    keep an identity but has none gets a new one, handed back by ``issue_identity``.
    """
    voter = g.get("voter")
    if voter is None or (mint and voter.by_fingerprint):
        voter = g.voter = _resolve_voter(mint)
    return voter


def reader_is_known() -> bool:
    """True when this request names its reader (cookie or stored id): its page is theirs,
    not the one every new reader shares."""
    voter = g.get("voter")
    if voter is not None:
        return voter.source in {COOKIE, STORAGE}
    return _named_voter() is not None


def init_voters(app: Flask) -> None:
    """Let widget templates tell the script whether the page names its reader."""
    app.add_template_global(reader_is_known)


def issue_identity(response: Response) -> None:
    """After a POST that recorded something for the reader: keep their identity in the
    cookie (the browser may refuse it) and hand it to the script for its storage.

    A reader known only by fingerprint who sent no script header gets the cookie too:
    it carries the fingerprint key, so the same voter is recognised should the network
    or the browser's version change.
    """
    voter = current_voter()
    signed = sign_voter(voter.key)
    response.headers[VOTER_HEADER] = signed
    response.vary.add("Cookie")
    if voter.has_cookie:
        return
    if request.is_secure:
        # Third-party context: only a partitioned cookie survives in Chrome.
        response.set_cookie(
            VOTER_COOKIE,
            signed,
            max_age=VOTER_COOKIE_MAX_AGE,
            httponly=True,
            secure=True,
            samesite="None",
            partitioned=True,
        )
    else:
        response.set_cookie(
            VOTER_COOKIE, signed, max_age=VOTER_COOKIE_MAX_AGE, httponly=True, samesite="Lax"
        )


def _token_serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(signing_keys(), salt=f"widget-{purpose}")


def make_form_token(purpose: str, target_id: int) -> str:
    """A signed, timestamped token for a widget form ("vote" on a poll, "comment" on a thread).

    Widget forms cannot rely on the session cookie (a cross-site iframe may never send it),
    so each rendered form carries this token instead.
    """
    return _token_serializer(purpose).dumps(target_id)


def form_token_age(token: str | None, purpose: str, target_id: int) -> float | None:
    """Seconds since ``token`` was made for ``purpose`` on ``target_id``; None if it is not
    ours, is for something else, or has expired."""
    if not token:
        return None
    try:
        value, made_at = _token_serializer(purpose).loads(
            token, max_age=current_app.config["VOTE_TOKEN_MAX_AGE"], return_timestamp=True
        )
    except BadSignature:
        return None
    if value != target_id:
        return None
    return max(0.0, time.time() - made_at.timestamp())


def widget_post_allowed(token: str | None, purpose: str, target_id: int) -> bool:
    """A widget POST is ours: same-site by the browser's word, and with a valid form token."""
    return widget_post_age(token, purpose, target_id) is not None


def widget_post_age(token: str | None, purpose: str, target_id: int) -> float | None:
    """Seconds the form of an allowed widget POST (see ``widget_post_allowed``) had been
    shown, or None when the POST is not ours: one check of the token for both answers."""
    if not request_is_same_origin():
        return None
    return form_token_age(token, purpose, target_id)


def request_is_same_origin() -> bool:
    """False when the browser says this POST came from another site.

    The widget posts from its own document, so both Sec-Fetch-Site and Origin are
    ours; an absent header (old browsers, curl) is left to the signed token.
    """
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in {"same-origin", "none"}:
        return False
    origin = request.headers.get("Origin")
    if origin and origin != "null":
        parts = urlsplit(origin)
        return (parts.scheme, parts.netloc) == (request.scheme, request.host)
    return origin != "null"
