"""Security headers per kind of response: widgets may be framed by the portal, nothing else."""

from __future__ import annotations

import pytest
from flask import Flask

from polls_site.core.security_headers import (
    API,
    PAGE,
    STRICT_CSP,
    WIDGET,
    content_security_policy,
    frame_ancestors,
    policy_for,
    policy_headers,
)
from tests.support.factories import make_poll

PORTAL = "http://127.0.0.1:8001"
FOREIGN = "https://evil.example"
WIDGET_FRAMES = "frame-ancestors 'self' http://127.0.0.1:8001 http://localhost:8001"


@pytest.mark.parametrize(
    ("endpoint", "blueprint", "expected"),
    [
        ("polls.show", "polls", WIDGET),
        ("polls.vote", "polls", WIDGET),
        ("comments.show", "comments", WIDGET),
        ("comments_portal.badge", "comments_portal", WIDGET),
        ("api.comment_count", "api", API),
        ("embed.current_poll", "embed", WIDGET),
        ("embed.oembed", "embed", API),
        ("api.polls", "api", API),
        ("pages.index", "pages", PAGE),
        ("staff.queue", "staff", PAGE),
        ("static", None, PAGE),
        (None, None, PAGE),
    ],
)
def test_policy_table(endpoint: str | None, blueprint: str | None, expected) -> None:
    assert policy_for(endpoint, blueprint) == expected


def test_frame_policy_lists_self_and_the_portals() -> None:
    assert frame_ancestors(["https://a.kg", "https://b.kg"]) == (
        "frame-ancestors 'self' https://a.kg https://b.kg"
    )
    assert content_security_policy(API, ["https://a.kg"]) == "frame-ancestors 'none'"
    assert content_security_policy(PAGE, ["https://a.kg"]).endswith("; frame-ancestors 'none'")
    strict = content_security_policy(WIDGET, ["https://a.kg"])
    assert "script-src 'self';" in strict
    assert "unsafe" not in strict
    assert strict.endswith("frame-ancestors 'self' https://a.kg")


STRICT = STRICT_CSP + "; "
NO_FRAMES = "frame-ancestors 'none'"
# (name, path, request headers, status, whole CSP, X-Frame-Options, Vary: HX-Request)
CASES = [
    ("widget page", "/w/poll/{id}", {}, 200, STRICT + WIDGET_FRAMES, None, True),
    (
        "widget fragment",
        "/w/poll/{id}",
        {"HX-Request": "true"},
        200,
        STRICT + WIDGET_FRAMES,
        None,
        True,
    ),
    ("widget results", "/w/poll/{id}/results", {}, 200, STRICT + WIDGET_FRAMES, None, True),
    ("widget 404", "/w/poll/999999", {}, 404, STRICT + WIDGET_FRAMES, None, True),
    ("current poll", "/w/poll/current", {}, 302, STRICT + WIDGET_FRAMES, None, True),
    ("site page", "/", {}, 200, STRICT + NO_FRAMES, "DENY", False),
    ("unknown path", "/no/such/page", {}, 404, STRICT + NO_FRAMES, "DENY", False),
    ("stylesheet", "/static/widget.css", {}, 200, STRICT + NO_FRAMES, "DENY", False),
    ("json api", "/api/polls", {}, 200, NO_FRAMES, "DENY", False),
    ("oembed", "/oembed?url=x", {}, 404, NO_FRAMES, "DENY", False),
]


@pytest.mark.parametrize(
    ("name", "path", "headers", "status", "csp", "xfo", "varies"), CASES, ids=[c[0] for c in CASES]
)
def test_headers_per_response_type(
    app: Flask,
    name: str,
    path: str,
    headers: dict,
    status: int,
    csp: str,
    xfo: str | None,
    varies: bool,
) -> None:
    poll_id = make_poll(app)
    response = app.test_client().get(path.format(id=poll_id), headers=headers)
    response.close()  # a static file is streamed from an open file
    assert response.status_code == status
    assert response.headers["Content-Security-Policy"] == csp
    assert response.headers.get("X-Frame-Options") == xfo
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert ("HX-Request" in response.vary) is varies


def test_allowlist_comes_from_the_configuration(app: Flask) -> None:
    app.config["EMBED_ALLOWED_ORIGINS"] = ["https://news-asia.example"]
    poll_id = make_poll(app)
    policy = app.test_client().get(f"/w/poll/{poll_id}").headers["Content-Security-Policy"]
    assert policy.endswith("frame-ancestors 'self' https://news-asia.example")
    assert "8001" not in policy


@pytest.mark.parametrize(("origin", "allowed"), [(PORTAL, PORTAL), (FOREIGN, None), (None, None)])
def test_api_answers_cross_origin_reads_only_for_the_portal(
    app: Flask, origin: str | None, allowed: str | None
) -> None:
    headers = {"Origin": origin} if origin else {}
    response = app.test_client().get("/api/polls", headers=headers)
    assert response.status_code == 200
    assert response.headers.get("Access-Control-Allow-Origin") == allowed
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert "Origin" in response.vary


def test_production_pins_https_and_development_does_not(
    database_url, redis_url, redis_prefix, _schema, client
) -> None:
    from polls_site import create_app
    from tests.support.app import app_config, close_connections

    assert "Strict-Transport-Security" not in client.get("/healthz").headers
    production = create_app(
        app_config(
            database_url, redis_url, f"{redis_prefix}-hsts:", PRODUCTION=True, SECRET_KEY="x" * 40
        )
    )
    try:
        for path in ("/healthz", "/staff/login", "/polls/"):
            headers = production.test_client().get(path, base_url="https://localhost").headers
            assert headers["Strict-Transport-Security"] == "max-age=31536000", path
    finally:
        close_connections(production)


def test_policy_headers_are_built_once_per_policy_and_settings() -> None:
    origins = (PORTAL,)
    widget = dict(policy_headers(WIDGET, origins, 0))
    assert widget["Content-Security-Policy"] == content_security_policy(WIDGET, [PORTAL])
    assert "X-Frame-Options" not in widget  # the portal frames widgets
    assert "Strict-Transport-Security" not in widget
    page = dict(policy_headers(PAGE, origins, 3600))
    assert page["X-Frame-Options"] == "DENY"
    assert page["Strict-Transport-Security"] == "max-age=3600"
    assert page["X-Content-Type-Options"] == "nosniff"
    # Cached per process: the same tuple, not a rebuilt one.
    assert policy_headers(WIDGET, origins, 0) is policy_headers(WIDGET, origins, 0)
    assert policy_headers(WIDGET, (FOREIGN,), 0) != policy_headers(WIDGET, origins, 0)


def test_a_route_set_header_is_kept(app: Flask) -> None:
    @app.get("/own-csp")
    def own_csp() -> tuple[str, dict[str, str]]:
        return "x", {"Content-Security-Policy": "default-src 'none'"}

    response = app.test_client().get("/own-csp")
    assert response.headers["Content-Security-Policy"] == "default-src 'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
