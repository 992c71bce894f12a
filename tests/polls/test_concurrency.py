"""Votes fired at once against gunicorn (4 processes): no vote lost, none counted twice,
the per-IP limit holds under a burst, and a real worker turns the ballots into a snapshot."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from typing import TypeVar

import pytest
import requests

from polls_site.widget.voters import NEW_VOTER, VOTER_HEADER, sign_voter
from tests.support.factories import make_poll, option_ids
from tests.support.live import TOKEN_RE, LiveServer, ballot_count

pytestmark = pytest.mark.live

T = TypeVar("T")

HIGH_LIMITS = {
    "VOTE_LIMIT_IP_POLL": "100000/600",
    "VOTE_LIMIT_IP": "100000/600",
    "VOTE_LIMIT_NET_POLL": "100000/600",
}
DEFAULT_LIMITS = {
    "VOTE_LIMIT_IP_POLL": "30/600",
    "VOTE_LIMIT_IP": "120/600",
    "VOTE_LIMIT_NET_POLL": "300/600",
}
HTMX = {"HX-Request": "true"}
TIMEOUT = 60


@dataclass
class Reader:
    """One browser as the server sees it: its own cookie jar, the token it was given and
    the identity its widget script keeps (none yet: it asks for one with its vote)."""

    session: requests.Session
    token: str
    stored: str = NEW_VOTER


@pytest.fixture
def sessions() -> Iterator[ExitStack]:
    """Closes every requests.Session a test opens."""
    with ExitStack() as stack:
        yield stack


def open_widget(server: LiveServer, poll_id: int, stack: ExitStack) -> Reader:
    """GET the widget as a new reader: a vote token, and no cookie (the page is the one
    every new reader shares; the identity comes with the first vote)."""
    session = stack.enter_context(requests.Session())
    # A fresh connection for the vote, as a new browser opens: a kept-alive one may be closed
    # by the server (keep-alive timeout) just as the vote is sent, and a POST is not retried.
    response = session.get(
        server.url(f"/w/poll/{poll_id}"), headers={"Connection": "close"}, timeout=TIMEOUT
    )
    assert response.status_code == 200
    assert "pv" not in session.cookies, "the shared form set a cookie"
    match = TOKEN_RE.search(response.text)
    assert match, "the widget rendered no vote form"
    return Reader(session, match.group(1))


def open_widgets(server: LiveServer, poll_id: int, count: int, stack: ExitStack) -> list[Reader]:
    with ThreadPoolExecutor(16) as pool:
        return list(pool.map(lambda _: open_widget(server, poll_id, stack), range(count)))


def fire_together(calls: list[Callable[[], T]]) -> list[T]:
    """Run every call on its own thread, released at the same moment by a barrier."""
    barrier = threading.Barrier(len(calls), timeout=TIMEOUT)

    def run(call: Callable[[], T]) -> T:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def vote_call(server: LiveServer, poll_id: int, reader: Reader, option: int):
    def call() -> tuple[int, str, str | None]:
        response = reader.session.post(
            server.url(f"/w/poll/{poll_id}/vote"),
            data={"token": reader.token, "option": str(option)},
            headers={**HTMX, VOTER_HEADER: reader.stored},
            timeout=TIMEOUT,
        )
        return response.status_code, response.text, response.headers.get("Retry-After")

    return call


def test_200_voters_at_once_are_all_counted(live_factory, sessions) -> None:
    server = live_factory(**HIGH_LIMITS)
    poll_id = make_poll(server.app)
    options = option_ids(server.app, poll_id)
    readers = open_widgets(server, poll_id, 200, sessions)
    chosen = [options[i % len(options)] for i in range(len(readers))]

    replies = fire_together(
        [vote_call(server, poll_id, r, o) for r, o in zip(readers, chosen, strict=True)]
    )

    statuses = Counter(status for status, _, _ in replies)
    assert statuses == {200: 200}, server.log()
    assert all("Спасибо! Ваш голос учтён." in body for _, body, _ in replies)
    assert ballot_count(server.app, poll_id) == 200

    server.run_worker_burst()
    snapshot = requests.get(server.url(f"/api/polls/{poll_id}/results"), timeout=TIMEOUT).json()
    assert snapshot["total"] == 200
    assert snapshot["voters"] == 200
    assert sum(o["percent"] for o in snapshot["options"]) == 100
    assert {o["id"]: o["votes"] for o in snapshot["options"]} == Counter(chosen)


def test_one_voter_firing_20_votes_at_once_gets_one_ballot(live_factory, sessions) -> None:
    server = live_factory(**HIGH_LIMITS)
    poll_id = make_poll(server.app)
    option = option_ids(server.app, poll_id)[1]
    reader = open_widget(server, poll_id, sessions)
    with server.app.app_context():
        stored = sign_voter("c:one-browser")
    # Twenty connections of the same browser: one stored identity, one token.
    clones = [
        Reader(sessions.enter_context(requests.Session()), reader.token, stored) for _ in range(20)
    ]

    replies = fire_together([vote_call(server, poll_id, c, option) for c in clones])

    statuses = Counter(status for status, _, _ in replies)
    assert statuses == {200: 1, 409: 19}, server.log()
    refusals = [body for status, body, _ in replies if status == 409]
    assert all("Вы уже голосовали в этом опросе." in body for body in refusals)
    assert ballot_count(server.app, poll_id) == 1


def test_a_burst_of_40_voters_from_one_ip_is_cut_at_the_limit(live_factory, sessions) -> None:
    server = live_factory(**DEFAULT_LIMITS)
    poll_id = make_poll(server.app)
    option = option_ids(server.app, poll_id)[0]
    readers = open_widgets(server, poll_id, 40, sessions)

    replies = fire_together([vote_call(server, poll_id, r, option) for r in readers])

    statuses = Counter(status for status, _, _ in replies)
    assert statuses == {200: 30, 429: 10}, server.log()
    for status, body, retry_after in replies:
        if status == 429:
            assert retry_after is not None and 1 <= int(retry_after) <= 600
            assert "Слишком много голосов из вашей сети" in body
    assert ballot_count(server.app, poll_id) == 30


def test_two_tabs_changing_a_vote_at_once_leave_one_choice(live_factory, sessions) -> None:
    server = live_factory(**HIGH_LIMITS)
    poll_id = make_poll(server.app, allow_vote_change=True)
    first, second, third = option_ids(server.app, poll_id)
    reader = open_widget(server, poll_id, sessions)
    with server.app.app_context():
        reader.stored = sign_voter("c:two-tabs")
    assert vote_call(server, poll_id, reader, first)()[0] == 200
    tabs = [
        Reader(sessions.enter_context(requests.Session()), reader.token, reader.stored)
        for _ in range(2)
    ]

    replies = fire_together(
        [vote_call(server, poll_id, tab, o) for tab, o in zip(tabs, (second, third), strict=True)]
    )

    statuses = sorted(status for status, _, _ in replies)
    assert statuses in ([200, 200], [200, 409]), server.log()
    assert all("Ваш голос изменён." in body for status, body, _ in replies if status == 200)
    assert all("в другой вкладке" in body for status, body, _ in replies if status == 409)
    assert ballot_count(server.app, poll_id) == 1
    server.run_worker_burst()
    result = requests.get(server.url(f"/api/polls/{poll_id}/results"), timeout=TIMEOUT).json()
    votes = {o["id"]: o["votes"] for o in result["options"]}
    assert (result["voters"], result["total"], votes[first]) == (1, 1, 0)
    assert sorted((votes[second], votes[third])) == [0, 1]
