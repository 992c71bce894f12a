"""A stateful property test of voting: random polls, voters, duplicates, closes and recounts.

After every step the database holds exactly the ballots of the model; after the worker has
run, every snapshot equals the model and its percentages sum to 100.
"""

from __future__ import annotations

from collections import Counter

import pytest
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
    run_state_machine_as_test,
)

from polls_site import create_app
from polls_site.core.db import db
from polls_site.core.redis import redis_client
from polls_site.models import Ballot, BallotChoice, Poll, PollStatus, ResultSnapshot
from polls_site.polls.cache import forget_poll
from tests.support.app import app_config, drain_queue, empty_tables
from tests.support.factories import make_poll, option_ids
from tests.support.polls import Voting

VOTERS = 4


class VotingMachine(RuleBasedStateMachine):
    """Readers vote at random; the model is what a perfect ballot box would hold."""

    polls = Bundle("polls")
    open_polls = Bundle("open_polls")

    def __init__(self, app: Flask) -> None:
        super().__init__()
        self.app = app
        self.voters = [Voting(app.test_client()) for _ in range(VOTERS)]
        # poll id -> {"options": [...], "limit": n, "open": bool, "ballots": {voter: choices}}
        self.model: dict[int, dict] = {}

    @rule(target=open_polls, n_options=st.integers(2, 5), multiple=st.booleans())
    def create_poll(self, n_options: int, multiple: bool) -> int:
        limit = 2 if multiple else 1
        poll_id = make_poll(
            self.app,
            [f"Вариант {i}" for i in range(n_options)],
            multiple=multiple,
            max_choices=limit,
        )
        self.model[poll_id] = {
            "options": option_ids(self.app, poll_id),
            "limit": limit,
            "open": True,
            "ballots": {},
        }
        return poll_id

    @rule(poll_id=open_polls, voter=st.integers(0, VOTERS - 1), data=st.data())
    def vote(self, poll_id: int, voter: int, data: st.DataObject) -> None:
        poll = self.model[poll_id]
        size = data.draw(st.integers(1, poll["limit"]), label="choices")
        choices = data.draw(
            st.lists(st.sampled_from(poll["options"]), min_size=size, max_size=size, unique=True),
            label="options",
        )
        response = self.voters[voter].vote(poll_id, *choices)
        if not poll["open"]:
            assert response.status_code == 410, response.status_code
        elif voter in poll["ballots"]:
            assert response.status_code == 409, response.status_code
        else:
            assert response.status_code == 200, response.get_data(as_text=True)[:300]
            poll["ballots"][voter] = sorted(choices)

    @rule(poll_id=consumes(open_polls))
    def close(self, poll_id: int) -> None:
        with self.app.app_context():
            db.session.get(Poll, poll_id).status = PollStatus.CLOSED
            db.session.commit()
            forget_poll(poll_id)
        self.model[poll_id]["open"] = False

    @rule()
    def recount(self) -> None:
        drain_queue(self.app)
        with self.app.app_context():
            for poll_id, poll in self.model.items():
                snapshot = db.session.get(ResultSnapshot, poll_id)
                expected = Counter(c for cs in poll["ballots"].values() for c in cs)
                if snapshot is None:
                    counts = self.app.extensions["polls_queues"]["counts"]
                    failed = counts.failed_job_registry.get_job_ids()
                    assert not poll["ballots"], f"poll {poll_id} never recounted; failed {failed}"
                    continue
                assert snapshot.voters == len(poll["ballots"])
                assert snapshot.total == sum(expected.values())
                assert {r["option_id"]: r["votes"] for r in snapshot.rows} == {
                    o: expected[o] for o in poll["options"]
                }
                percents = sum(r["percent"] for r in snapshot.rows)
                assert percents == (100 if snapshot.total else 0)

    @invariant()
    def database_holds_the_model(self) -> None:
        with self.app.app_context():
            rows = db.session.execute(
                sa.select(Ballot.poll_id, Ballot.id, BallotChoice.option_id).join(
                    BallotChoice, BallotChoice.ballot_id == Ballot.id
                )
            ).all()
        stored: dict[int, dict[int, list[int]]] = {}
        for poll_id, ballot_id, option_id in rows:
            stored.setdefault(poll_id, {}).setdefault(ballot_id, []).append(option_id)
        for poll_id, poll in self.model.items():
            got = sorted(sorted(cs) for cs in stored.get(poll_id, {}).values())
            assert got == sorted(poll["ballots"].values())

    def teardown(self) -> None:
        # Ids can be reused after the tables are emptied: the poll's Redis keys go too.
        with self.app.app_context():
            client = redis_client()
            for key in client.scan_iter(match=self.app.config["REDIS_KEY_PREFIX"] + "*"):
                client.delete(key)
        empty_tables(self.app)


@pytest.fixture
def eager_app(database_url: str, redis_url: str, redis_prefix: str, _schema: None):
    """An app that recounts at once after every vote, so that a drained queue is up to date.

    (With the default minimum interval a second vote within a second is recounted by the
    scheduler a little later; that path has tests of its own in test_worker.py.)
    """
    prefix = f"{redis_prefix}-prop:"
    app = create_app(app_config(database_url, redis_url, prefix, RECOMPUTE_MIN_INTERVAL=0))
    yield app
    empty_tables(app)


@pytest.mark.timeout(600)
def test_voting_matches_a_perfect_ballot_box(eager_app: Flask) -> None:
    app = eager_app
    run_state_machine_as_test(
        lambda: VotingMachine(app),
        settings=settings(
            max_examples=25,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
