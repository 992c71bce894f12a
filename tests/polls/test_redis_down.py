"""With Redis unreachable, widgets still render and votes are still recorded (loudly)."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from polls_site.core.db import db
from polls_site.models import Ballot
from polls_site.polls.recount import stale_poll_ids
from tests.support.factories import make_poll, option_ids
from tests.support.polls import Voting


def test_vote_is_recorded_when_redis_is_down(app_without_redis, caplog) -> None:
    app = app_without_redis
    poll_id = make_poll(app)
    option = option_ids(app, poll_id)[0]
    reader = Voting(app.test_client())
    with caplog.at_level(logging.WARNING):
        response = reader.vote(poll_id, option)
    assert response.status_code == 200
    assert "Всего голосов: 1" in response.get_data(as_text=True)
    assert "rate limiting and dedupe DISABLED" in caplog.text
    assert "reconcile will catch up" in caplog.text
    # The database constraint still stops a second vote.
    assert reader.vote(poll_id, option).status_code == 409
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Ballot)) == 1
        # The worker's reconcile pass will pick the poll up when Redis is back.
        assert stale_poll_ids() == [poll_id]


def test_results_poll_falls_back_to_the_database(app_without_redis) -> None:
    app = app_without_redis
    poll_id = make_poll(app)
    response = app.test_client().get(
        f"/w/poll/{poll_id}/results?v=0", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert 'id="poll-results"' in response.get_data(as_text=True)
