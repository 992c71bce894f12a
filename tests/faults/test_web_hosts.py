"""Two web hosts behind the shipped nginx edge, one PostgreSQL, one Redis, two RQ workers:
one host's gunicorn is killed (``kill -9``, its whole process group) while readers vote
through the edge. The edge routes around it, only the requests in flight at the kill may
fail, every vote answered 2xx is one ballot and counted, and the host is used again once
it is back. Then an editor's change made on one host reaches the other within
NEAR_CACHE_SECONDS, and readers of the edge within that plus the microcache's second.

Runs once, on PostgreSQL (the production database; the suite's per-run database).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
import requests
import sqlalchemy as sa

from polls_site.config import DEFAULTS
from polls_site.core.db import db
from polls_site.models import Ballot, ResultSnapshot, Role
from polls_site.widget.voters import NEW_VOTER, VOTER_HEADER, unsign_voter
from tests.staff.test_poll_editor import poll_form, rows_of
from tests.support.factories import PASSWORD, make_poll, make_staff, option_ids
from tests.support.faults import wait_for
from tests.support.hosts import WebHosts, web_hosts
from tests.support.live import TOKEN_RE
from tests.support.staff import CSRF_RE

pytestmark = [pytest.mark.live, pytest.mark.slow, pytest.mark.postgresql]

ADDRESSES = ("127.0.0.2", "127.0.0.3")
READERS = 6
TIMEOUT = 30
HTMX = {"HX-Request": "true"}
NEAR_CACHE_SECONDS = DEFAULTS["NEAR_CACHE_SECONDS"]
EDGE_CACHE_SECONDS = 1  # what the app marks with X-Accel-Expires
# An expired edge entry is still served while one request refreshes it
# (proxy_cache_use_stale updating): on a loaded machine that request takes a while.
EDGE_REFRESH_SECONDS = 1
FAIL_TIMEOUT = 5  # deploy/nginx/polls-site-upstream.conf
VOTED = "Вы проголосовали в этом опросе."


@pytest.fixture
def cluster(database_url, redis_url, redis_prefix, _schema, tmp_path_factory) -> Iterator[WebHosts]:
    if database_url.startswith("sqlite"):
        pytest.skip("several web hosts share a PostgreSQL: this suite runs on PostgreSQL")
    with web_hosts(
        database_url,
        redis_url,
        f"{redis_prefix}-hosts{secrets.token_hex(3)}:",
        tmp_path_factory.mktemp("hosts"),
        ADDRESSES,
        # The production default, not the suite's 0: the bound under test.
        NEAR_CACHE_SECONDS=NEAR_CACHE_SECONDS,
        RECONCILE_SECONDS=2,
        VOTE_LIMIT_IP_POLL="100000/600",
        VOTE_LIMIT_IP="100000/600",
        VOTE_LIMIT_NET_POLL="100000/600",
    ) as hosts:
        yield hosts


# What each request of a reader must get; anything else is a failure.
EXPECTED = {"page": 200, "own": 200, "vote0": 200, "vote1": 200, "again": 409}


@dataclass
class Crowd:
    """Readers voting through the edge until stopped: each new reader votes in the first
    poll, comes back (their own screen), votes in the second and tries the first again.
    Every request is recorded as (started, ended, what, status; 0 for no answer)."""

    url: Callable[[str], str]
    polls: tuple[int, int]
    options: tuple[list[int], list[int]]
    stop: threading.Event = field(default_factory=threading.Event)
    log: list[tuple[float, float, str, int]] = field(default_factory=list)
    accepted: dict[int, list[str]] = field(default_factory=lambda: {0: [], 1: []})
    wrong_pages: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _send(self, browser, method: str, what: str, path: str, **kw) -> requests.Response | None:
        started = time.monotonic()
        try:
            reply = browser.request(method, self.url(path), timeout=TIMEOUT, **kw)
        except requests.RequestException:
            reply = None
        status = reply.status_code if reply is not None else 0
        with self._lock:
            self.log.append((started, time.monotonic(), what, status))
        return reply if status == EXPECTED[what] else None

    def _vote(self, browser, what: str, which: int, page_as: str, vote_as: str, n: int):
        """Open poll ``which`` as ``page_as`` and vote in it as ``vote_as``."""
        poll_id = self.polls[which]
        page = self._send(
            browser, "GET", "page", f"/w/poll/{poll_id}", headers={**HTMX, VOTER_HEADER: page_as}
        )
        token = TOKEN_RE.search(page.text) if page is not None else None
        if token is None:
            return None
        option = self.options[which][n % len(self.options[which])]
        return self._send(
            browser,
            "POST",
            what,
            f"/w/poll/{poll_id}/vote",
            data={"token": token.group(1), "option": str(option)},
            headers={**HTMX, VOTER_HEADER: vote_as},
        )

    def run(self, reader: int) -> None:
        """One reader after another on this thread, each in a new browser, until stopped."""
        n = reader
        while not self.stop.is_set():
            n += READERS
            with requests.Session() as browser:
                first = self._vote(browser, "vote0", 0, NEW_VOTER, NEW_VOTER, n)
                if first is None:
                    continue
                stored = first.headers[VOTER_HEADER]
                with self._lock:
                    self.accepted[0].append(stored)
                # Back on the first poll's page: their own screen, from either host.
                own = self._send(
                    browser,
                    "GET",
                    "own",
                    f"/w/poll/{self.polls[0]}",
                    headers={**HTMX, VOTER_HEADER: stored},
                )
                if own is not None and VOTED not in own.text:
                    self.wrong_pages.append(own.text[:300])
                if self._vote(browser, "vote1", 1, stored, stored, n) is not None:
                    with self._lock:
                        self.accepted[1].append(stored)
                # A second vote in the first poll, from the form a new reader is shown.
                self._vote(browser, "again", 0, NEW_VOTER, stored, n)

    def count(self, what: str, since: float = 0) -> int:
        """Answers as expected to requests of kind ``what``… started at ``since`` or later."""
        with self._lock:
            return sum(
                1
                for started, _end, kind, status in self.log
                if kind.startswith(what) and started >= since and status == EXPECTED[kind]
            )

    def failures(self) -> list[tuple[float, float, str, int]]:
        """Every request that did not get its expected answer."""
        with self._lock:
            return [entry for entry in self.log if entry[3] != EXPECTED[entry[2]]]


def ballot_keys(hosts: WebHosts, poll_id: int) -> list[str]:
    with hosts.app.app_context():
        keys = list(
            db.session.scalars(sa.select(Ballot.voter_key).where(Ballot.poll_id == poll_id))
        )
        db.session.remove()
    return keys


def snapshot_voters(hosts: WebHosts, poll_id: int) -> tuple[int, int] | None:
    with hosts.app.app_context():
        snapshot = db.session.get(ResultSnapshot, poll_id, populate_existing=True)
        db.session.remove()
    if snapshot is None:
        return None
    return snapshot.voters, sum(row["votes"] for row in snapshot.rows)


def test_a_web_host_killed_under_load_loses_no_accepted_vote(cluster: WebHosts) -> None:
    hosts, app = cluster, cluster.app
    doomed, survivor = hosts.hosts
    polls = (make_poll(app, question="Первый опрос"), make_poll(app, question="Второй опрос"))
    crowd = Crowd(hosts.edge.url, polls, (option_ids(app, polls[0]), option_ids(app, polls[1])))
    readers = [threading.Thread(target=crowd.run, args=(i,), daemon=True) for i in range(READERS)]
    for reader in readers:
        reader.start()
    try:
        # Both hosts take votes before the kill.
        wait_for(
            lambda: all(hosts.requests_seen(h, "/w/poll/[0-9]+/vote") >= 20 for h in hosts.hosts),
            60,
            "votes on both hosts",
            step=0.1,
        )
        killed = time.monotonic()
        hosts.kill_9(doomed)
        dead = time.monotonic()  # the host refuses connections from here on
        served = hosts.requests_seen(survivor, "/w/poll/")
        wait_for(lambda: crowd.count("vote", since=killed + 2) >= 40, 60, "votes after the kill")
        assert hosts.requests_seen(survivor, "/w/poll/") > served

        # Back: the edge tries the host again after fail_timeout and sends it readers.
        doomed.start()
        back = time.monotonic()
        wait_for(
            lambda: hosts.requests_seen(doomed, "/w/poll/") > 0,
            FAIL_TIMEOUT + 10,
            "the edge to use the restarted host",
        )
        returned_after = time.monotonic() - back
        wait_for(lambda: crowd.count("vote", since=time.monotonic() - 1) >= 5, 30, "votes")
    finally:
        crowd.stop.set()
        for reader in readers:
            reader.join(timeout=TIMEOUT + 5)

    failures = crowd.failures()
    failed_votes = sum(1 for _s, _e, what, _st in failures if what.startswith("vote"))
    assert not crowd.wrong_pages
    # Only requests in flight at the kill may fail: at most one per reader, and none that
    # started once the host was gone (a refused connection is passed to the other host),
    # but for nginx's own moment to notice that its idle connections to it were closed.
    assert len(failures) <= READERS, failures
    assert all(started <= dead + 0.5 for started, *_ in failures), (killed, dead, failures)
    first_vote_after = min(
        s for s, _e, what, st in crowd.log if what.startswith("vote") and st == 200 and s > killed
    )
    with app.test_request_context():
        accepted = [{unsign_voter(stored) for stored in crowd.accepted[i]} for i in (0, 1)]
    for which, poll_id in enumerate(polls):
        assert len(accepted[which]) == len(crowd.accepted[which]) > 0
        wait_for(
            lambda p=poll_id: snapshot_voters(hosts, p) == (len(ballot_keys(hosts, p)),) * 2,
            60,
            "the workers to count every ballot",
            step=0.2,
        )
        keys = ballot_keys(hosts, poll_id)
        assert len(keys) == len(set(keys))
        # Every 2xx vote is a ballot; a ballot more only for a vote cut off at the kill.
        assert accepted[which] <= set(keys)
        assert len(keys) - len(accepted[which]) <= failed_votes
        assert snapshot_voters(hosts, poll_id) == (len(keys), len(keys))
    print(
        f"\nweb hosts: {sum(map(len, accepted))} accepted votes"
        f" ({crowd.count('vote', since=killed)} after the kill), {len(failures)} failed"
        f" requests at the kill ({sorted(what for _s, _e, what, _st in failures)}),"
        " next accepted vote"
        f" {first_vote_after - killed:.3f} s after it (kill done in {dead - killed:.3f} s);"
        f" restarted host used again after"
        f" {returned_after:.2f} s"
    )

    converge_after_an_edit(hosts)


def converge_after_an_edit(hosts: WebHosts) -> None:
    """An editor changes a poll on one host; the other host and the edge follow in time."""
    app = hosts.app
    editing, other = hosts.hosts
    poll_id = make_poll(app, question="Старый заголовок")
    make_staff(app, "ed", Role.EDITOR)
    editor = requests.Session()
    page = editor.get(editing.url("/staff/login"), timeout=TIMEOUT).text
    login = {"username": "ed", "password": PASSWORD, "csrf_token": CSRF_RE.search(page).group(1)}
    reply = editor.post(editing.url("/staff/login"), data=login, timeout=TIMEOUT)
    assert reply.status_code == 200 and "/staff/login" not in reply.url, reply.text[:300]
    token = CSRF_RE.search(editor.get(editing.url("/staff/audit"), timeout=TIMEOUT).text).group(1)

    def change(path: str, data: dict, shows_new: Callable[[str], bool]) -> tuple[float, float]:
        """Make the change while readers watch both ends; the latest start of a stale
        answer after it, on the other host and through the edge (seconds)."""
        seen: dict[str, list[tuple[float, bool]]] = {"host": [], "edge": []}
        stop = threading.Event()

        def watch(name: str, url: str) -> None:
            with requests.Session() as reader:
                while not stop.is_set():
                    started = time.monotonic()
                    text = reader.get(url, timeout=TIMEOUT).text
                    seen[name].append((started, shows_new(text)))

        path_of_poll = f"/w/poll/{poll_id}"
        watchers = [
            threading.Thread(target=watch, args=("host", other.url(path_of_poll))),
            threading.Thread(target=watch, args=("edge", hosts.edge.url(path_of_poll))),
        ]
        for watcher in watchers:
            watcher.start()
        try:
            # Both ends have the old poll in their caches before the change.
            wait_for(lambda: all(len(s) >= 20 for s in seen.values()), 30, "readers")
            assert not any(new for s in seen.values() for _t, new in s)
            saved = editor.post(
                editing.url(path), data={**data, "csrf_token": token}, timeout=TIMEOUT
            )
            done = time.monotonic()
            assert saved.history and saved.history[0].status_code == 303, saved.text[:300]
            # Watched for longer than the bound: a stale copy left in Redis would last
            # POLL_CACHE_SECONDS (10 s) and show up here.
            window = done + NEAR_CACHE_SECONDS + EDGE_CACHE_SECONDS + 3
            wait_for(
                lambda: all(s[-1][0] > window for s in seen.values()),
                window - time.monotonic() + TIMEOUT,
                "readers to watch past the bound",
            )
        finally:
            stop.set()
            for watcher in watchers:
                watcher.join(timeout=TIMEOUT)
        stale = {}
        for name, answers in seen.items():
            assert answers[-1][1], f"{name} never showed the change"
            stale[name] = max((t - done for t, new in answers if not new), default=0.0)
        return stale["host"], stale["edge"]

    title = change(
        f"/staff/polls/{poll_id}",
        poll_form(question="Новый заголовок", rows=rows_of(app, poll_id)),
        lambda text: "Новый заголовок" in text,
    )
    closing = change(
        f"/staff/polls/{poll_id}/status",
        {"action": "close", "confirmed": "1"},
        lambda text: "Опрос завершён." in text,
    )
    print(
        f"converged after the title edit: other host {title[0]:.3f} s, edge {title[1]:.3f} s;"
        f" after closing: other host {closing[0]:.3f} s, edge {closing[1]:.3f} s"
    )
    for host_stale, edge_stale in (title, closing):
        assert host_stale <= NEAR_CACHE_SECONDS
        assert edge_stale <= NEAR_CACHE_SECONDS + EDGE_CACHE_SECONDS + EDGE_REFRESH_SECONDS
