"""Ballot stuffing: 10,000 attempts from one IP, from rotating voter cookies and from a
/24 meet the configured limits exactly (through the Redis Lua path the vote uses), and a
smaller HTTP run shows the same numbers end to end, forged X-Forwarded-For included."""

from __future__ import annotations

import ipaddress
from collections import Counter

import sqlalchemy as sa
from flask import Flask

from polls_site.config import parse_limit
from polls_site.core.clients import limit_hash, network_limit_hash
from polls_site.core.db import db
from polls_site.models import Ballot
from polls_site.polls.limits import admit_vote
from polls_site.widget.voters import NEW_VOTER, VOTER_HEADER
from tests.support.factories import make_poll, option_ids
from tests.support.polls import Voting

ATTEMPTS = 10_000
TTL = 3600


def attempt(app: Flask, poll_id: int, voter: str, ip: str) -> str:
    """One vote attempt as cast_vote makes it: the Lua admission for (poll, voter, IP)."""
    with app.app_context():
        return admit_vote(poll_id, voter, limit_hash(ip), network_limit_hash(ip), TTL).verdict


def test_one_ip_rotating_cookies_on_one_poll_gets_exactly_the_per_poll_limit(app) -> None:
    per_poll, _ = parse_limit(app.config["VOTE_LIMIT_IP_POLL"])
    verdicts = Counter(attempt(app, 1, f"c:voter-{i}", "203.0.113.7") for i in range(ATTEMPTS))
    assert verdicts == {"ok": per_poll, "limited": ATTEMPTS - per_poll}


def test_one_ip_over_many_polls_gets_exactly_the_overall_limit(app) -> None:
    per_ip, _ = parse_limit(app.config["VOTE_LIMIT_IP"])
    verdicts = Counter(
        attempt(app, 1000 + i % 500, f"c:voter-{i}", "198.51.100.9") for i in range(ATTEMPTS)
    )
    assert verdicts == {"ok": per_ip, "limited": ATTEMPTS - per_ip}


def test_one_cookie_votes_once_however_often_it_tries(app) -> None:
    verdicts = Counter(attempt(app, 7, "c:the-same", f"192.0.2.{i % 250}") for i in range(2000))
    # Every IP counts its attempts, but the voter's dedupe key admits one ballot only.
    assert verdicts["ok"] == 1
    assert verdicts["ok"] + verdicts["duplicate"] + verdicts["limited"] == 2000


def test_a_slash_24_with_rotating_cookies_gets_exactly_the_network_limit(app) -> None:
    per_net, _ = parse_limit(app.config["VOTE_LIMIT_NET_POLL"])
    per_poll, _ = parse_limit(app.config["VOTE_LIMIT_IP_POLL"])
    network = list(ipaddress.ip_network("203.0.113.0/24"))
    admitted: Counter[str] = Counter()
    for i in range(ATTEMPTS):
        ip = str(network[i % 256])
        if attempt(app, 2, f"c:rotating-{i}", ip) == "ok":
            admitted[ip] += 1
    assert sum(admitted.values()) == per_net
    assert max(admitted.values()) <= per_poll
    # The next /24 has its own allowance, and so has the same /24 on another poll.
    assert attempt(app, 2, "c:neighbour", "203.0.114.1") == "ok"
    assert attempt(app, 3, "c:other-poll", "203.0.113.1") == "ok"


def test_one_noisy_address_does_not_use_up_its_networks_allowance(app) -> None:
    per_net, _ = parse_limit(app.config["VOTE_LIMIT_NET_POLL"])
    per_poll, _ = parse_limit(app.config["VOTE_LIMIT_IP_POLL"])
    noisy = Counter(attempt(app, 4, f"c:noisy-{i}", "192.0.2.200") for i in range(ATTEMPTS))
    assert noisy == {"ok": per_poll, "limited": ATTEMPTS - per_poll}
    # Its refused attempts did not count against the network: the neighbours get the rest.
    neighbours = Counter(
        attempt(app, 4, f"c:neighbour-{i}", f"192.0.2.{i % 100}") for i in range(per_net)
    )
    assert neighbours == {"ok": per_net - per_poll, "limited": per_poll}


def test_an_ipv6_slash_48_is_one_network(app) -> None:
    per_net, _ = parse_limit(app.config["VOTE_LIMIT_NET_POLL"])
    # A new /64 (a new subscriber allowance) every time, all inside 2001:db8:7::/48.
    verdicts = Counter(
        attempt(app, 5, f"c:v6-{i}", f"2001:db8:7:{i:x}::1") for i in range(per_net + 50)
    )
    assert verdicts == {"ok": per_net, "limited": 50}


def test_http_burst_from_one_ip_with_rotating_cookies_and_forged_forwarded_for(app) -> None:
    per_poll, _ = parse_limit(app.config["VOTE_LIMIT_IP_POLL"])
    poll_id = make_poll(app)
    option = option_ids(app, poll_id)[0]
    statuses: Counter[int] = Counter()
    for i in range(per_poll + 15):
        reader = Voting(app.test_client())  # a new cookie jar: a new voter each time
        headers = {"X-Forwarded-For": f"10.9.{i}.1", "X-Real-IP": f"10.8.{i}.1"}
        statuses[reader.vote(poll_id, option, headers=headers).status_code] += 1
    assert statuses == {200: per_poll, 429: 15}
    with app.app_context():
        stored = db.session.scalar(sa.select(sa.func.count(Ballot.id)))
        hashes = set(db.session.scalars(sa.select(Ballot.ip_hash)))
    assert stored == per_poll
    assert len(hashes) == 1  # the forwarded headers were not believed


def test_http_reader_without_cookies_in_a_slash_24_votes_once(app) -> None:
    poll_id = make_poll(app)
    option = option_ids(app, poll_id)[0]
    token = Voting(app.test_client(use_cookies=False)).token(poll_id)
    statuses: Counter[int] = Counter()
    for last in range(1, 21):
        client = app.test_client(use_cookies=False)
        client.environ_base["REMOTE_ADDR"] = f"198.51.100.{last}"
        no_storage = {VOTER_HEADER: ""}
        statuses[
            Voting(client).vote(poll_id, option, token=token, headers=no_storage).status_code
        ] += 1
    # Same browser, same /24, no cookie and no script storage: one fingerprint, one ballot.
    assert statuses == {200: 1, 409: 19}


def test_http_burst_from_one_ipv6_slash_64_counts_as_one_address(app) -> None:
    per_poll, _ = parse_limit(app.config["VOTE_LIMIT_IP_POLL"])
    poll_id = make_poll(app)
    option = option_ids(app, poll_id)[0]
    statuses: Counter[int] = Counter()
    for i in range(per_poll + 10):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"2001:db8:1:2:{i:x}::{i + 1:x}"
        statuses[Voting(client).vote(poll_id, option).status_code] += 1
    # Forty addresses of one /64: one allowance, as for one IPv4 address.
    assert statuses == {200: per_poll, 429: 10}
    with app.app_context():
        hashes = set(db.session.scalars(sa.select(Ballot.ip_hash)))
    assert len(hashes) == per_poll  # each ballot still keeps its own address's hash


def test_readers_with_script_storage_behind_one_address_each_vote_once(app) -> None:
    """A carrier NAT: one address, one browser build, cookies dropped; each profile keeps
    its own stored identity, so each is one person, and each is refused a second time."""
    poll_id = make_poll(app)
    option = option_ids(app, poll_id)[0]
    token = Voting(app.test_client(use_cookies=False)).token(poll_id)
    stored = []
    for _ in range(20):
        profile = Voting(app.test_client(use_cookies=False))
        reply = profile.vote(poll_id, option, token=token, headers={VOTER_HEADER: NEW_VOTER})
        assert reply.status_code == 200
        stored.append(reply.headers[VOTER_HEADER])  # what widget.js keeps
    assert len(set(stored)) == 20
    for kept in stored[:5]:
        again = Voting(app.test_client(use_cookies=False))
        assert (
            again.vote(poll_id, option, token=token, headers={VOTER_HEADER: kept}).status_code
            == 409
        )
        page = again.client.get(f"/w/poll/{poll_id}", headers={VOTER_HEADER: kept})
        assert "Вы проголосовали в этом опросе." in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Ballot.id))) == 20
