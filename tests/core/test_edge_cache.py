"""Which answers the app lets the edge share (X-Accel-Expires, polls_site/core/edge_cache.py):
only those with nothing of the reader's in them, never with a cookie, never a POST."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from polls_site.core.edge_cache import EDGE_HEADER
from polls_site.widget.voters import NEW_VOTER, VOTER_COOKIE, VOTER_HEADER
from tests.support.factories import make_poll, option_ids
from tests.support.polls import TOKEN_RE

HTMX = {"HX-Request": "true"}


def vote(client: FlaskClient, poll_id: int, option: int):
    token = TOKEN_RE.search(client.get(f"/w/poll/{poll_id}").get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    return client.post(
        f"/w/poll/{poll_id}/vote",
        data={"token": token, "option": str(option)},
        headers={**HTMX, VOTER_HEADER: NEW_VOTER},
    )


def test_the_new_readers_widget_page_is_shareable(client: FlaskClient, poll_id: int) -> None:
    for headers in ({}, HTMX):
        response = client.get(f"/w/poll/{poll_id}", headers=headers)
        assert response.headers[EDGE_HEADER] == "1"
        assert "Set-Cookie" not in response.headers
        assert 'data-reader="known"' not in response.get_data(as_text=True)


def test_a_voters_pages_and_the_vote_are_never_shareable(
    app: Flask, client: FlaskClient, poll_id: int
) -> None:
    reply = vote(client, poll_id, option_ids(app, poll_id)[0])
    assert reply.status_code == 200
    assert EDGE_HEADER not in reply.headers
    stored = reply.headers[VOTER_HEADER]
    assert client.get_cookie(VOTER_COOKIE) is not None
    own = client.get(f"/w/poll/{poll_id}")
    assert EDGE_HEADER not in own.headers
    client.delete_cookie(VOTER_COOKIE)
    by_storage = client.get(f"/w/poll/{poll_id}", headers={**HTMX, VOTER_HEADER: stored})
    assert EDGE_HEADER not in by_storage.headers
    # After a vote without script (?done): the reader's own thanks, not shared.
    assert EDGE_HEADER not in client.get(f"/w/poll/{poll_id}?done=1").headers
    assert EDGE_HEADER not in client.get(f"/polls/{poll_id}?done=1").headers


def test_public_results_are_shareable_hidden_ones_never(app: Flask, client: FlaskClient) -> None:
    public = make_poll(app)
    assert client.get(f"/w/poll/{public}/results", headers=HTMX).headers[EDGE_HEADER] == "1"
    hidden = make_poll(app, results_visibility="after_vote")
    response = client.get(f"/w/poll/{hidden}/results", headers=HTMX)
    assert EDGE_HEADER not in response.headers


def test_shared_reads_are_marked(client: FlaskClient, poll_id: int) -> None:
    for url in ("/api/comments/count?key=a", "/polls/", f"/polls/{poll_id}", "/embed.js"):
        with client.get(url) as response:
            assert response.headers.get(EDGE_HEADER) == "1", url
    for url in ("/staff/login", "/readyz", "/healthz"):
        assert EDGE_HEADER not in client.get(url).headers, url
