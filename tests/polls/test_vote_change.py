"""Changing one's vote: one ballot per person, the new choice counted and the old one
audit-kept, refused where the poll does not allow it, limited like a vote, and exact
when two tabs change at once (real threads against the real database)."""

from __future__ import annotations

import re
import threading

import sqlalchemy as sa
from flask import Flask

from polls_site.core.db import db
from polls_site.models import Ballot, BallotChange, BallotChoice, Poll, PollStatus, utcnow
from polls_site.polls.cache import PollInfo, forget_poll
from polls_site.polls.recount import compute_snapshot, stale_poll_ids
from polls_site.polls.service import change_vote
from polls_site.widget.voters import COOKIE, Voter
from tests.support.factories import make_poll, option_ids
from tests.support.polls import TOKEN_RE, Voting


def choices(app: Flask, poll_id: int) -> list[tuple[int, list[int]]]:
    """(ballot id, its chosen option ids) for every ballot of the poll."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(Ballot.id, BallotChoice.option_id)
            .join(BallotChoice, BallotChoice.ballot_id == Ballot.id)
            .where(Ballot.poll_id == poll_id)
            .order_by(Ballot.id, BallotChoice.option_id)
        ).all()
    found: dict[int, list[int]] = {}
    for ballot_id, option_id in rows:
        found.setdefault(ballot_id, []).append(option_id)
    return list(found.items())


def changes(app: Flask, poll_id: int) -> list[tuple[list[int], list[int]]]:
    with app.app_context():
        return [
            (c.old_options, c.new_options)
            for c in db.session.scalars(
                sa.select(BallotChange).where(BallotChange.poll_id == poll_id)
            )
        ]


def test_a_change_replaces_the_choice_on_the_one_ballot(app, voting: Voting) -> None:
    poll_id = make_poll(app, allow_vote_change=True)
    yes, no, _ = option_ids(app, poll_id)
    assert voting.vote(poll_id, yes).status_code == 200
    results = voting.client.get(f"/w/poll/{poll_id}").get_data(as_text=True)
    assert "Изменить голос" in results

    form = voting.client.get(f"/w/poll/{poll_id}?view=change").get_data(as_text=True)
    marked = re.findall(r'value="(\d+)"\s+checked', form)
    assert marked == [str(yes)]
    token = TOKEN_RE.search(form).group(1)
    changed = voting.vote(poll_id, no, token=token)

    assert changed.status_code == 200
    assert "Ваш голос изменён." in changed.get_data(as_text=True)
    [(ballot_id, chosen)] = choices(app, poll_id)
    assert chosen == [no]
    assert changes(app, poll_id) == [([yes], [no])]
    with app.app_context():
        snapshot = compute_snapshot(poll_id)
        votes = {r["option_id"]: r["votes"] for r in snapshot.rows}
        assert (votes[yes], votes[no], snapshot.voters) == (0, 1, 1)


def test_without_javascript_a_change_redirects_with_its_notice(app, voting: Voting) -> None:
    poll_id = make_poll(app, allow_vote_change=True)
    yes, no, _ = option_ids(app, poll_id)
    assert voting.vote(poll_id, yes).status_code == 200
    response = voting.vote(poll_id, no, htmx=False)
    assert response.status_code == 303
    page = voting.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ваш голос изменён." in page
    assert choices(app, poll_id)[0][1] == [no]


def test_a_change_is_refused_where_the_poll_does_not_allow_it(app, voting: Voting) -> None:
    poll_id = make_poll(app)
    yes, no, _ = option_ids(app, poll_id)
    assert voting.vote(poll_id, yes).status_code == 200
    assert "Изменить голос" not in voting.client.get(f"/w/poll/{poll_id}").get_data(as_text=True)
    refused = voting.vote(poll_id, no)
    assert refused.status_code == 409
    assert "Вы уже голосовали в этом опросе." in refused.get_data(as_text=True)
    assert choices(app, poll_id)[0][1] == [yes]
    assert changes(app, poll_id) == []


def test_a_closed_poll_refuses_a_change(app, voting: Voting) -> None:
    poll_id = make_poll(app, allow_vote_change=True)
    yes, no, _ = option_ids(app, poll_id)
    assert voting.vote(poll_id, yes).status_code == 200
    with app.app_context():
        db.session.get(Poll, poll_id).status = PollStatus.CLOSED
        db.session.get(Poll, poll_id).closes_at = utcnow()
        db.session.commit()
        forget_poll(poll_id)
    assert voting.vote(poll_id, no).status_code == 410
    assert choices(app, poll_id)[0][1] == [yes]


def test_a_stale_cached_poll_cannot_change_a_closed_one(app, voting: Voting) -> None:
    """The web process may still hold the poll as open: the database condition refuses."""
    poll_id = make_poll(app, allow_vote_change=True)
    yes, no, _ = option_ids(app, poll_id)
    assert voting.vote(poll_id, yes).status_code == 200
    with app.app_context():
        stale = PollInfo.from_model(db.session.get(Poll, poll_id))
        db.session.get(Poll, poll_id).status = PollStatus.CLOSED
        db.session.commit()
        voter_key = db.session.scalar(sa.select(Ballot.voter_key))
        outcome = change_vote(stale, Voter(voter_key, COOKIE), [no], utcnow())
    assert outcome.kind == "duplicate"
    assert choices(app, poll_id)[0][1] == [yes]


def test_a_multiple_choice_change(app, voting: Voting) -> None:
    poll_id = make_poll(
        app, options=["A", "B", "C"], multiple=True, max_choices=2, allow_vote_change=True
    )
    a, b, c = option_ids(app, poll_id)
    assert voting.vote(poll_id, a, b).status_code == 200
    assert voting.vote(poll_id, b, c).status_code == 200
    assert choices(app, poll_id)[0][1] == sorted([b, c])
    assert changes(app, poll_id) == [(sorted([a, b]), sorted([b, c]))]
    with app.app_context():
        snapshot = compute_snapshot(poll_id)
    assert {r["option_id"]: r["votes"] for r in snapshot.rows} == {a: 0, b: 1, c: 1}
    assert (snapshot.total, snapshot.voters) == (2, 1)


def test_changes_count_against_the_address_limit(app, voting: Voting) -> None:
    app.config["VOTE_LIMIT_IP_POLL"] = "3/600"
    poll_id = make_poll(app, allow_vote_change=True)
    yes, no, _ = option_ids(app, poll_id)
    statuses = [voting.vote(poll_id, o).status_code for o in (yes, no, yes, no)]
    assert statuses == [200, 200, 200, 429]
    assert choices(app, poll_id)[0][1] == [yes]
    assert len(changes(app, poll_id)) == 2


def test_recount_after_changes_equals_a_direct_count(app) -> None:
    poll_id = make_poll(app, allow_vote_change=True)
    options = option_ids(app, poll_id)
    for i in range(6):
        assert Voting(app.test_client()).vote(poll_id, options[i % 3]).status_code == 200
    with app.app_context():
        assert compute_snapshot(poll_id) is not None
    readers = [Voting(app.test_client()) for _ in range(2)]
    for reader in readers:
        assert reader.vote(poll_id, options[0]).status_code == 200
    with app.app_context():
        compute_snapshot(poll_id)
        assert stale_poll_ids() == []
    assert readers[0].vote(poll_id, options[2]).status_code == 200
    with app.app_context():
        # The change added no ballot, yet the snapshot is known to be stale.
        assert poll_id in stale_poll_ids()
        snapshot = compute_snapshot(poll_id)
        direct = dict(
            db.session.execute(
                sa.select(BallotChoice.option_id, sa.func.count())
                .where(BallotChoice.poll_id == poll_id)
                .group_by(BallotChoice.option_id)
            ).all()
        )
        assert {r["option_id"]: r["votes"] for r in snapshot.rows} == direct
        assert direct == {options[0]: 3, options[1]: 2, options[2]: 3}
        assert stale_poll_ids() == []


def test_two_tabs_changing_at_once_leave_one_ballot_with_one_choice(app) -> None:
    """Real threads, each with its own session and connection, released together."""
    poll_id = make_poll(
        app, options=["A", "B", "C", "D"], multiple=True, max_choices=2, allow_vote_change=True
    )
    a, b, c, d = option_ids(app, poll_id)
    voter = Voter("c:two-tabs", COOKIE)
    with app.app_context():
        info = PollInfo.from_model(db.session.get(Poll, poll_id))
        db.session.add(Ballot(poll_id=poll_id, voter_key=voter.key, created_at=utcnow()))
        db.session.flush()
        ballot_id = db.session.scalar(sa.select(Ballot.id))
        db.session.add(BallotChoice(ballot_id=ballot_id, option_id=a, poll_id=poll_id))
        db.session.commit()
    wanted = {"first": [b, c], "second": [c, d]}
    for _round in range(5):
        barrier = threading.Barrier(2, timeout=30)
        kinds: dict[str, str] = {}

        def change(name: str, barrier=barrier, kinds=kinds) -> None:
            with app.app_context():
                barrier.wait()
                kinds[name] = change_vote(info, voter, wanted[name], utcnow()).kind
                db.session.remove()

        threads = [threading.Thread(target=change, args=(n,)) for n in wanted]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert set(kinds.values()) <= {"changed", "conflict"} and "changed" in kinds.values()
        [(only_ballot, chosen)] = choices(app, poll_id)
        assert only_ballot == ballot_id
        assert chosen in (sorted(wanted["first"]), sorted(wanted["second"]))
        with app.app_context():
            last = db.session.scalars(
                sa.select(BallotChange).order_by(BallotChange.id.desc()).limit(1)
            ).one()
        assert last.new_options == chosen
