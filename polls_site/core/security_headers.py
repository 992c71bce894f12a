"""Security headers on every response, chosen by what kind of response it is.

Widgets are framed by the portal, so their frame policy is the allowlist of portal
origins (EMBED_ALLOWED_ORIGINS); every other page (staff area, archive, this
site's own pages) may not be framed at all. Every HTML page gets a strict content
policy: scripts and styles from this origin only, no inline code (htmx is
configured by a meta tag and injects no style, see templates/base_widget.html), so
a comment that slipped past the sanitiser still cannot run script, least of all in
the staff area where moderators read every comment.
The read-only JSON API answers cross-origin reads from the same portal origins,
which is how embed.js fetches a list page's comment counts in one request.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from flask import Flask, Response, current_app, request

# A page may load only this site's scripts, styles and images.
STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'"
)
REFERRER_POLICY = "strict-origin-when-cross-origin"


@dataclass(frozen=True)
class Policy:
    """How one kind of response is protected."""

    framed_by_portal: bool = False  # frame-ancestors: the portal allowlist, else 'none'
    strict_csp: bool = True  # the full STRICT_CSP, not only the frame policy
    varies_on_htmx: bool = False  # htmx gets a fragment, a plain request the page
    portal_cors: bool = False  # the portal's scripts may read it (GET, no credentials)


WIDGET = Policy(framed_by_portal=True, varies_on_htmx=True)
API = Policy(strict_csp=False, portal_cors=True)
PAGE = Policy()

# Looked up by endpoint first, then by blueprint; anything else is a PAGE.
POLICIES: dict[str, Policy] = {
    "polls": WIDGET,
    "comments": WIDGET,
    # The "Комментарии [N]" badge page, framed by portals that allow no script.
    "comments_portal": WIDGET,
    "embed.current_poll": WIDGET,
    "embed.oembed": API,
    "api": API,
}


def policy_for(endpoint: str | None, blueprint: str | None) -> Policy:
    """The policy of a response made by ``endpoint`` of ``blueprint`` (None: no route)."""
    if endpoint in POLICIES:
        return POLICIES[endpoint]
    if blueprint in POLICIES:
        return POLICIES[blueprint]
    return PAGE


def frame_ancestors(origins: list[str]) -> str:
    """The CSP frame-ancestors directive for a widget: this site and the portal origins."""
    return " ".join(["frame-ancestors", "'self'", *origins])


def content_security_policy(policy: Policy, origins: list[str]) -> str:
    """The Content-Security-Policy header value for ``policy``."""
    frames = frame_ancestors(origins) if policy.framed_by_portal else "frame-ancestors 'none'"
    return f"{STRICT_CSP}; {frames}" if policy.strict_csp else frames


@lru_cache(maxsize=64)
def policy_headers(
    policy: Policy, origins: tuple[str, ...], hsts_seconds: int
) -> tuple[tuple[str, str], ...]:
    """The fixed headers of a ``policy`` response: CSP, Referrer-Policy, nosniff, the
    old frame header where framing is refused, HSTS when ``hsts_seconds`` (production).

    They depend only on the policy and the settings, so each combination is built once
    per process instead of on every request.
    """
    headers = [
        ("Content-Security-Policy", content_security_policy(policy, list(origins))),
        ("Referrer-Policy", REFERRER_POLICY),
        ("X-Content-Type-Options", "nosniff"),
    ]
    if not policy.framed_by_portal:
        # For browsers that predate frame-ancestors.
        headers.append(("X-Frame-Options", "DENY"))
    if hsts_seconds:
        # Production is served over HTTPS (browsers ignore the header on plain HTTP). No
        # includeSubDomains: the portal's other hosts are not ours to pin.
        headers.append(("Strict-Transport-Security", f"max-age={hsts_seconds}"))
    return tuple(headers)


def add_security_headers(response: Response) -> Response:
    """after_request hook: frame policy, CSP, Referrer-Policy, nosniff, HSTS in production,
    Vary and CORS."""
    policy = policy_for(request.endpoint, request.blueprint)
    config = current_app.config
    origins = config["EMBED_ALLOWED_ORIGINS"]
    hsts = config["HSTS_SECONDS"] if config["PRODUCTION"] else 0
    headers = response.headers
    # One pass over the few headers the route set (a `name in headers` test per name would
    # scan them once each); a header the route chose itself is kept.
    present = {name.lower() for name in headers.keys()}
    for name, value in policy_headers(policy, tuple(origins), hsts or 0):
        if name.lower() not in present:
            headers.add(name, value)
    if policy.varies_on_htmx:
        response.vary.add("HX-Request")
    if policy.portal_cors:
        response.vary.add("Origin")
        origin = request.headers.get("Origin")
        if origin in origins:
            headers["Access-Control-Allow-Origin"] = origin
    return response


def init_security_headers(app: Flask) -> None:
    """Register the hook on ``app``."""
    app.after_request(add_security_headers)
