"""What the recount counts: voided ballots and late ballots never, hidden options not shown."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from polls_site.core.db import db
from polls_site.models import Ballot, Option, Poll, PollStatus, utcnow
from polls_site.polls.lifecycle import close_poll
from polls_site.polls.recount import compute_snapshot, stale_poll_ids
from polls_site.polls.sections import current_poll_id, mark_current, marked_poll_id
from tests.support.factories import add_ballots, make_poll, option_ids
from tests.support.polls import Voting


def cast_times(count: int, start=None, step=timedelta(seconds=1)) -> list[datetime]:
    """``count`` ballot times ``step`` apart from ``start`` (an hour ago by default)."""
    start = start or utcnow() - timedelta(hours=1)
    return [start + i * step for i in range(count)]


def by_option(snapshot) -> dict[int, tuple[int, int]]:
    return {r["option_id"]: (r["votes"], r["percent"]) for r in snapshot.rows}


def test_voided_ballots_leave_the_count_exactly(app, poll_id) -> None:
    a, b, c = option_ids(app, poll_id)
    with app.app_context():
        ids = add_ballots(app, poll_id, [a, a, a, b, c], created_at=cast_times(5))
        assert by_option(compute_snapshot(poll_id)) == {a: (3, 60), b: (1, 20), c: (1, 20)}
        for ballot_id in ids[:2]:
            ballot = db.session.get(Ballot, ballot_id)
            ballot.voided_at, ballot.void_reason = utcnow(), "burst"
        db.session.commit()
        assert stale_poll_ids() == [poll_id]  # the reconcile pass notices a void too
        snapshot = compute_snapshot(poll_id)
        assert by_option(snapshot) == {a: (1, 34), b: (1, 33), c: (1, 33)}
        assert (snapshot.total, snapshot.voters) == (3, 3)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Ballot)) == 5


def test_hidden_option_is_out_of_the_shares_and_the_form(app, client, poll_id) -> None:
    a, b, c = option_ids(app, poll_id)
    with app.app_context():
        add_ballots(app, poll_id, [a, a, b, c], created_at=cast_times(4))
        db.session.get(Option, c).hidden = True
        db.session.commit()
        snapshot = compute_snapshot(poll_id)
        # Percentages are shares of the votes for the visible options.
        assert by_option(snapshot) == {a: (2, 67), b: (1, 33)}
        assert (snapshot.total, snapshot.voters) == (3, 4)
    page = client.get(f"/w/poll/{poll_id}").get_data(as_text=True)
    assert f'value="{c}"' not in page and f'value="{a}"' in page
    refused = Voting(client).vote(poll_id, c)
    assert refused.status_code == 422


def test_a_closed_poll_is_frozen_at_its_closing_time(app) -> None:
    poll_id = make_poll(app)
    a, b, _ = option_ids(app, poll_id)
    with app.app_context():
        start = utcnow() - timedelta(minutes=10)
        add_ballots(
            app, poll_id, [a, a, b, b, b], created_at=cast_times(5, start, timedelta(minutes=1))
        )
        close_poll(db.session.get(Poll, poll_id), now=start + timedelta(minutes=2, seconds=30))
        db.session.commit()
        snapshot = compute_snapshot(poll_id)
        # Ballots stored after the close (a web process still saw the poll open) do not count.
        assert by_option(snapshot)[a] == (2, 67) and snapshot.voters == 3
        assert stale_poll_ids() == []


def test_too_few_voters_show_no_percentages(app, client) -> None:
    poll_id = make_poll(app, min_sample=3)
    a = option_ids(app, poll_id)[0]
    first = Voting(client).vote(poll_id, a).get_data(as_text=True)
    assert "Слишком мало голосов" in first and "100%" not in first
    api = client.get(f"/api/polls/{poll_id}/results").get_json()
    assert {o["percent"] for o in api["options"]} == {None}
    with app.app_context():
        add_ballots(app, poll_id, [a, a], created_at=cast_times(2))
        compute_snapshot(poll_id)
    api = client.get(f"/api/polls/{poll_id}/results").get_json()
    assert api["options"][0]["percent"] == 100


def test_one_current_poll_per_section(app) -> None:
    first, second = make_poll(app), make_poll(app)
    draft = make_poll(app, status=PollStatus.DRAFT)
    with app.app_context():
        mark_current(db.session.get(Poll, first), "main")
        db.session.commit()
        replaced = mark_current(db.session.get(Poll, second), "main")
        db.session.commit()
        assert replaced.id == first
        assert marked_poll_id("main") == current_poll_id("main") == second
        assert db.session.get(Poll, first).current_section is None
        mark_current(db.session.get(Poll, draft), "sport")
        db.session.commit()
        assert marked_poll_id("sport") is None  # a draft is never shown
        # The section then shows what the widget shows without a mark: the newest open poll.
        assert current_poll_id("sport") == second
        # The database refuses a second current poll however it is written.
        db.session.get(Poll, first).current_section = "main"
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
