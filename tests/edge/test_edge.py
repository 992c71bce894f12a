"""The shipped nginx config in front of gunicorn: what every reader shares comes from the
microcache (Python sees one request), a reader who names themselves never gets a cached
page, and static files come compressed with immutable caching (deploy/nginx/)."""

from __future__ import annotations

import re

import pytest
import requests

from polls_site.widget.voters import NEW_VOTER, VOTER_COOKIE, VOTER_HEADER
from tests.edge.conftest import Sites
from tests.support.factories import make_poll, option_ids
from tests.support.live import TOKEN_RE, seed_ballots

pytestmark = pytest.mark.live

HTMX = {"HX-Request": "true"}
TIMEOUT = 10
FROM_CACHE = {"HIT", "STALE", "UPDATING"}
IMMUTABLE = "public, max-age=31536000, immutable"
ASSET_RE = re.compile(r'(?:href|src)="(/static/[^"?]+)\?v=([0-9a-f]{12})"')


def get(sites: Sites, path: str, **kwargs: object) -> requests.Response:
    return requests.get(sites.edge.url(path), timeout=TIMEOUT, **kwargs)  # type: ignore[arg-type]


def test_a_new_readers_widget_page_is_shared_and_a_voters_never(sites: Sites) -> None:
    app = sites.server.app
    poll_id = make_poll(app)
    page = f"/w/poll/{poll_id}"

    first, second = get(sites, page), get(sites, page)
    assert first.headers["X-Cache"] == "MISS"
    # HIT; on a machine so loaded that the second request came after the entry's second,
    # the entry just expired (served while one request refreshes it).
    assert second.headers["X-Cache"] in FROM_CACHE
    assert second.text == first.text
    assert 'data-reader="anonymous"' in second.text
    assert "Set-Cookie" not in first.headers and "Set-Cookie" not in second.headers
    # The app's mark for nginx never reaches the browser, which is told not to store it.
    assert "X-Accel-Expires" not in second.headers
    assert second.headers["Cache-Control"] == "private, no-store"
    expected = 1 if second.headers["X-Cache"] == "HIT" else 2
    assert sites.python_saw(page, at_least=expected) == expected

    # A reader votes through the edge: the vote is never cached, and from then on their
    # cookie (or their stored id) takes them past the cache to their own page.
    with requests.Session() as reader:
        shared = reader.get(sites.edge.url(page), timeout=TIMEOUT)
        token = TOKEN_RE.search(shared.text).group(1)  # type: ignore[union-attr]
        vote = reader.post(
            sites.edge.url(f"{page}/vote"),
            data={"token": token, "option": str(option_ids(app, poll_id)[0])},
            headers={**HTMX, VOTER_HEADER: NEW_VOTER},
            timeout=TIMEOUT,
        )
        assert vote.status_code == 200, vote.text
        assert vote.headers.get("X-Cache") != "HIT"
        assert VOTER_COOKIE in reader.cookies
        stored = vote.headers[VOTER_HEADER]
        for _ in range(2):
            own = reader.get(sites.edge.url(page), timeout=TIMEOUT)
            assert own.headers["X-Cache"] == "BYPASS"
            assert 'data-reader="known"' in own.text
            assert "Вы проголосовали в этом опросе." in own.text
        # Cookie-less, known by the stored id alone (widget.js's fetch of their own screen).
        by_storage = get(sites, page, headers={**HTMX, VOTER_HEADER: stored})
        assert by_storage.headers["X-Cache"] == "BYPASS"
        assert "Вы проголосовали в этом опросе." in by_storage.text
    # New readers still get the shared page, which never learnt the voter's screen.
    assert "Вы проголосовали" not in get(sites, page).text


def test_shared_partials_and_counts_come_from_the_cache(sites: Sites) -> None:
    app = sites.server.app
    poll_id = make_poll(app)
    seed_ballots(app, poll_id, option_ids(app, poll_id)[:1])  # a published version
    results = f"/w/poll/{poll_id}/results"
    partial = [get(sites, results, headers=HTMX) for _ in range(2)]
    assert [r.headers["X-Cache"] for r in partial] == ["MISS", "HIT"]
    # A voter's polling of public results is the same answer: served from the cache too.
    known = get(sites, results, headers={**HTMX, VOTER_HEADER: "someone"})
    assert known.headers["X-Cache"] == "HIT"
    version = re.search(r'data-version="([^"]+)"', partial[0].text).group(1)  # type: ignore[union-attr]
    unchanged = [get(sites, f"{results}?v={version}", headers=HTMX) for _ in range(2)]
    assert [r.status_code for r in unchanged] == [204, 204]
    assert [r.headers["X-Cache"] for r in unchanged] == ["MISS", "HIT"]
    # The page without htmx is another entry, not the partial.
    assert "<!doctype html>" in get(sites, results).text

    counts = "/api/comments/count?key=a&key=b"
    before = sites.python_saw("/api/comments/count", at_least=0)
    assert [get(sites, counts).headers["X-Cache"] for _ in range(2)] == ["MISS", "HIT"]
    assert sites.python_saw("/api/comments/count", at_least=before + 1) == before + 1

    hidden = make_poll(app, results_visibility="after_vote")
    private = [get(sites, f"/w/poll/{hidden}/results", headers=HTMX) for _ in range(2)]
    assert [r.headers["X-Cache"] for r in private] == ["MISS", "MISS"]


def test_a_cached_answer_is_stored_compressed_once_per_encoding(sites: Sites) -> None:
    # The inner server compresses before the cache: a HIT is sent as stored, gzip for a
    # reader who accepts it, plain for one who does not (each encoding its own entry).
    poll_id = make_poll(sites.server.app)
    page = f"/w/poll/{poll_id}"
    gzipped = [get(sites, page, headers={"Accept-Encoding": "gzip"}) for _ in range(2)]
    plain = [get(sites, page, headers={"Accept-Encoding": "identity"}) for _ in range(2)]
    assert [r.headers["X-Cache"] for r in (gzipped[0], plain[0])] == ["MISS", "MISS"]
    assert {gzipped[1].headers["X-Cache"], plain[1].headers["X-Cache"]} <= FROM_CACHE
    assert [r.headers.get("Content-Encoding") for r in gzipped] == ["gzip", "gzip"]
    assert [r.headers.get("Content-Encoding") for r in plain] == [None, None]
    assert gzipped[1].text == plain[1].text  # requests decodes the gzip
    assert "Accept-Encoding" in gzipped[1].headers.get("Vary", "")


def test_staff_metrics_and_health_never_pass_the_cache(sites: Sites) -> None:
    for path in ("/staff/login", "/metrics", "/readyz"):
        for _ in range(2):
            reply = get(sites, path)
            assert "X-Cache" not in reply.headers, path
    assert sites.python_saw("/staff/login", at_least=2) == 2


def test_static_files_are_compressed_and_immutable_by_fingerprint(sites: Sites) -> None:
    page = get(sites, f"/w/poll/{make_poll(sites.server.app)}").text
    seen = sites.python_saw("/static/widget.css", at_least=0)  # gunicorn's own readiness check
    assets = dict(ASSET_RE.findall(page))
    assert {"/static/widget.css", "/static/widget.js"} <= set(assets)
    encodings = ["gzip", "br"] if sites.edge.brotli else ["gzip"]
    for path, fingerprint in assets.items():
        for encoding in encodings:
            reply = get(sites, f"{path}?v={fingerprint}", headers={"Accept-Encoding": encoding})
            assert reply.status_code == 200, path
            assert reply.headers["Content-Encoding"] == encoding, path
            assert reply.headers["Cache-Control"] == IMMUTABLE, path
            assert reply.headers["X-Content-Type-Options"] == "nosniff"
    # Straight from disk: Python never saw a static file or embed.js.
    assert sites.python_saw("/static/widget.css", at_least=0) == seen
    plain = get(sites, "/static/widget.css", headers={"Accept-Encoding": "gzip"})
    assert "immutable" not in plain.headers["Cache-Control"]
    embed = get(sites, "/embed.js", headers={"Accept-Encoding": "gzip"})
    assert embed.headers["Cache-Control"] == "public, max-age=3600"
    assert embed.headers["Content-Encoding"] == "gzip"
    assert sites.python_saw("/embed.js", at_least=0) == 0
    # Pages are compressed too, and nginx says nothing about itself.
    html = get(sites, "/polls/", headers={"Accept-Encoding": "gzip"})
    assert html.headers["Content-Encoding"] == "gzip"
    assert html.headers["Server"] == "nginx"
