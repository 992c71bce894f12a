"""Who is reading: the signed voter cookie, its no-cookie fallback, the widget form tokens.

Inside a cross-site iframe the browser may keep no cookie at all (Safari), so
nothing here depends on the session: the voter cookie is a bonus, the CSRF
token is signed into the page, and the fallback identity is a keyed hash of the
network prefix and the browser.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Response, current_app, g, request
from itsdangerous import BadSignature, Signer, URLSafeTimedSerializer

from ..core.clients import client_ip, keyed_hash, network_prefix
from ..core.keys import signing_keys

VOTER_COOKIE = "pv"
VOTER_COOKIE_MAX_AGE = 365 * 24 * 3600


@dataclass(frozen=True)
class Voter:
    """A reader as far as dedupe is concerned."""

    key: str  # stored on the ballot: "c:<cookie id>" or "f:<fingerprint hash>"
    has_cookie: bool


def _signer() -> Signer:
    return Signer(signing_keys(), salt="voter-cookie")


def cookie_voter_id() -> str | None:
    """The voter id from a validly signed cookie, or None (checked once per request)."""
    if "voter_id" not in g:
        g.voter_id = _unsign_voter_cookie(request.cookies.get(VOTER_COOKIE))
    return g.voter_id


def _unsign_voter_cookie(raw: str | None) -> str | None:
    if not raw:
        return None
    try:
        return _signer().unsign(raw).decode()
    except BadSignature:
        return None


def current_voter() -> Voter:
    """The reader behind this request: their cookie, or the fingerprint fallback."""
    voter_id = cookie_voter_id()
    if voter_id:
        return Voter(key=f"c:{voter_id}", has_cookie=True)
    browser = "|".join(
        (
            network_prefix(client_ip()),
            request.headers.get("User-Agent", ""),
            request.headers.get("Accept-Language", ""),
        )
    )
    return Voter(key=f"f:{keyed_hash('fingerprint', browser)}", has_cookie=False)


def ensure_voter_cookie(response: Response) -> None:
    """Give a reader without a voter cookie a new one (the browser may refuse it)."""
    if cookie_voter_id() is not None:
        return
    value = _signer().sign(secrets.token_urlsafe(16)).decode()
    if request.is_secure:
        # Third-party context: only a partitioned cookie survives in Chrome.
        response.set_cookie(
            VOTER_COOKIE,
            value,
            max_age=VOTER_COOKIE_MAX_AGE,
            httponly=True,
            secure=True,
            samesite="None",
            partitioned=True,
        )
    else:
        response.set_cookie(
            VOTER_COOKIE, value, max_age=VOTER_COOKIE_MAX_AGE, httponly=True, samesite="Lax"
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


def form_token_valid(token: str | None, purpose: str, target_id: int) -> bool:
    """True when ``token`` was made by us for ``purpose`` on ``target_id`` and has not expired."""
    return form_token_age(token, purpose, target_id) is not None


def widget_post_allowed(token: str | None, purpose: str, target_id: int) -> bool:
    """A widget POST is ours: same-site by the browser's word, and with a valid form token."""
    return request_is_same_origin() and form_token_valid(token, purpose, target_id)


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
