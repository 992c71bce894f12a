"""No surface shows a poll's counts, shares or total while its visibility setting hides them.

Each case stores one poll with distinctive counts (37 and 59 votes, 96 in all, shown as
39 % and 61 %), then walks every public GET route of the URL map (JSON API, oEmbed,
archive, feeds, widget pages, partials and their 204 answers) as a reader who has not
voted, and every staff page as a moderator (below editor: exports included), and
searches each answer for those numbers. A visible poll is the control: its numbers must
be found, so the search itself is shown to work.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from polls_site.core.db import db
from polls_site.core.redis import redis_client
from polls_site.models import PollStatus, Role
from polls_site.polls.jobs import request_recompute
from polls_site.polls.versions import version_key
from tests.support.app import drain_queue
from tests.support.factories import KEY, add_ballots, make_poll, make_thread, option_ids
from tests.support.staff import StaffClient, logged_in

OPENED = datetime(2020, 1, 2, 10, 0, tzinfo=UTC)
VOTED = datetime(2020, 1, 2, 12, 0, tzinfo=UTC)
CLOSED = datetime(2020, 1, 3, 10, 0, tzinfo=UTC)
VOTES = (37, 59)
NUMBERS = ("37", "59", "96", "39", "61")  # counts, total, percentages
# Long runs of token characters (signed tokens, CSRF, nonces, hashes) can hold any digits.
_TOKENS = re.compile(r"[A-Za-z0-9_\-.]{20,}")
# Clock times ("00:39", feeds' "updated") are the time of the run, not a count.
_TIMES = re.compile(r"\d{4}-\d\d-\d\dT[\d:.+]+|\d{1,2}:\d\d(:\d\d)?")
# Ids (of polls and options: PostgreSQL's sequences run on across tests) in attributes,
# URL paths and JSON "id" keys; counts and percentages are written as text, never there.
_IDS = re.compile(
    r"\b(?:id|name|for|value|href|src|action|hx-[\w-]+|data-[\w-]+)=\\?\"[^\"\\]*\\?\""
    r'|/\d+|"id": \d+'
)

# (setting, closed?) -> may a reader who has not voted see the results?
CASES = {
    ("always", False): True,
    ("always", True): True,
    ("after_vote", False): False,
    ("after_vote", True): True,
    ("after_close", False): False,
    ("after_close", True): True,
    ("never", False): False,
    ("never", True): False,
}


def leaked(body: str) -> set[str]:
    """The distinctive numbers standing alone in ``body`` (not in words, tokens, times or
    ids)."""
    text = _IDS.sub(" ", _TIMES.sub(" ", _TOKENS.sub(" ", body)))
    # Not part of a decimal fraction either (the metrics' timings).
    return {n for n in NUMBERS if re.search(rf"(?<!\w)(?<!\d\.){n}(?!\w)(?!\.\d)", text)}


def _ids_past_the_numbers(app: Flask) -> None:
    # PostgreSQL's sequences run on across tests: a poll or option id of 61 would read as
    # a leaked percentage wherever an id stands as text. Three digits never can.
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return
        for table in ("polls", "options"):
            db.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" GREATEST(nextval(pg_get_serial_sequence('{table}', 'id')), 100))"
                )
            )
        db.session.commit()


def store_poll(app: Flask, setting: str, closed: bool) -> int:
    """A poll with 37 and 59 counted votes, its snapshot published as the worker does."""
    _ids_past_the_numbers(app)
    fields = {"status": PollStatus.CLOSED, "closes_at": CLOSED} if closed else {}
    poll_id = make_poll(
        app,
        ["Первый вариант", "Второй вариант"],
        question="Вопрос о видимости?",
        results_visibility=setting,
        opens_at=OPENED,
        created_at=OPENED,
        **fields,
    )
    first, second = option_ids(app, poll_id)
    add_ballots(app, poll_id, [first] * VOTES[0] + [second] * VOTES[1], created_at=VOTED)
    with app.app_context():
        request_recompute(poll_id)
    drain_queue(app)
    return poll_id


def public_urls(app: Flask, poll_id: int) -> Iterator[str]:
    """Every public GET route of the URL map, for this poll (the staff area is walked apart)."""
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(("/staff", "/static")):
            continue
        args = set(rule.arguments)
        if args - {"poll_id", "thread_key"}:
            continue  # a comment's own page: no poll in it
        url = rule.rule.replace("<int:poll_id>", str(poll_id))
        yield url.replace("<path:thread_key>", KEY)
    yield f"/w/poll/{poll_id}?view=results"
    yield f"/oembed?url=http://localhost/w/poll/{poll_id}"
    yield f"/oembed?url=http://localhost/polls/{poll_id}"
    yield "/api/polls/current"


def get_all(client: FlaskClient, url: str) -> Iterator[tuple[int, str]]:
    """(status, body) of ``url`` as a plain request and as htmx, redirects followed."""
    for headers in ({}, {"HX-Request": "true"}):
        with client.get(url, headers=headers, follow_redirects=True) as response:
            yield response.status_code, response.get_data(as_text=True)


@pytest.mark.parametrize(("setting", "closed"), sorted(CASES))
def test_no_surface_shows_hidden_results(
    app: Flask, client: FlaskClient, setting: str, closed: bool
) -> None:
    make_thread(app)
    poll_id = store_poll(app, setting, closed)
    visible = CASES[(setting, closed)]
    found: dict[str, set[str]] = {}
    walked = 0
    for base in public_urls(app, poll_id):
        for status, body in get_all(client, base):
            walked += 1
            assert status < 500, base
            hits = leaked(body)
            if hits:
                found[base] = found.get(base, set()) | hits
    assert walked >= 40  # the walk really covered the URL map
    if visible:
        # The control: the numbers are there, in the JSON results and on the widget.
        assert found.get(f"/api/polls/{poll_id}/results") == set(NUMBERS)
        assert {"37", "59", "96"} <= found[f"/w/poll/{poll_id}?view=results"]
    else:
        assert found == {}
        assert client.get(f"/api/polls/{poll_id}/results").status_code == 403

    listed = next(p for p in client.get("/api/polls").get_json() if p["id"] == poll_id)
    assert listed["results_public"] is visible
    assert listed["total"] == (96 if visible else None)

    # The 204 "unchanged" answer and the partial: public caches only where the rule allows.
    hx = {"HX-Request": "true"}
    with app.app_context():
        version = redis_client().get(version_key(poll_id)).decode()
    unchanged = client.get(f"/w/poll/{poll_id}/results?v={version}", headers=hx)
    partial = client.get(f"/w/poll/{poll_id}/results?v=0", headers=hx)
    assert unchanged.status_code == 204
    private = setting in ("after_vote", "never")
    assert ("public" in unchanged.headers["Cache-Control"]) is not private
    assert ("public" in partial.headers["Cache-Control"]) is (visible and not private)
    if not visible:
        assert partial.status_code == 403
        assert "no-store" in partial.headers["Cache-Control"]


@pytest.fixture
def moderator_client(app: Flask) -> StaffClient:
    """A moderator: the staff role below editor."""
    return logged_in(app, app.test_client(), "mod", Role.MODERATOR)


@pytest.mark.parametrize("setting", ["always", "never"])
def test_staff_pages_below_editor_show_no_counts(
    app: Flask, moderator_client: StaffClient, setting: str
) -> None:
    poll_id = store_poll(app, setting, closed=True)
    walked = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or not rule.rule.startswith("/staff"):
            continue
        url = rule.rule.replace("<int:poll_id>", str(poll_id))
        with moderator_client.get(url) as response:
            status, body = response.status_code, response.get_data(as_text=True)
        walked += 1
        if "/polls" in url:
            # The editor's pages and both CSV exports are for editors only.
            assert status == 403, url
        assert leaked(body) == set(), url
    assert walked >= 12
