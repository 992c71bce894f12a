"""The pieces the lighter vote path is made of: reading the choice, storing a ballot in one
go, and the thanks fragment's cache key."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import IntegrityError

from polls_site.core.db import db
from polls_site.models import Ballot, BallotChoice, utcnow
from polls_site.polls.ballots import store_ballot
from polls_site.polls.cache import OptionInfo, PollInfo
from polls_site.polls.forms import ballot_options, choice_error, option_id, read_choice
from polls_site.polls.screens import PollScreen
from polls_site.polls.service import ResultLine, ResultsView
from polls_site.widget.notices import Notice
from tests.support.factories import make_poll, option_ids


def poll_info(multiple: bool = False, max_choices: int = 1) -> PollInfo:
    return PollInfo(
        id=7,
        question="Вопрос?",
        status="open",
        opens_at=None,
        closes_at=None,
        multiple=multiple,
        max_choices=max_choices,
        results_visibility="always",
        options=(OptionInfo(1, "Да"), OptionInfo(2, "Нет"), OptionInfo(3, "Не знаю")),
    )


def test_posted_option_ids_are_read_in_order_and_junk_becomes_an_unknown_id() -> None:
    assert read_choice(["3", "1", "abc", "", "2.5"]) == [3, 1, -1, -1, -1]
    assert read_choice([]) == []
    assert option_id("99999999999999999999") == 99999999999999999999


def test_a_valid_choice_has_no_error_and_is_stored_once_in_id_order(app: Flask) -> None:
    with app.test_request_context():
        assert choice_error([2], poll_info()) is None
        assert choice_error([3, 1, 3], poll_info(multiple=True, max_choices=2)) is None
    assert ballot_options([3, 1, 3]) == [1, 3]


@pytest.mark.parametrize(
    ("chosen", "poll", "message"),
    [
        ([], poll_info(), "Выберите вариант ответа."),
        ([-1], poll_info(), "В этом опросе нет такого варианта ответа."),
        (
            [1, 4],
            poll_info(multiple=True, max_choices=3),
            "В этом опросе нет такого варианта ответа.",
        ),
        ([1, 2], poll_info(), "Можно выбрать не больше 1 варианта."),
        (
            [1, 2, 3],
            poll_info(multiple=True, max_choices=2),
            "Можно выбрать не больше 2 вариантов.",
        ),
    ],
)
def test_each_invalid_choice_is_told_why_in_russian(
    app: Flask, chosen: list[int], poll: PollInfo, message: str
) -> None:
    with app.test_request_context():
        assert choice_error(chosen, poll) == message


def ballot_rows(app: Flask, poll_id: int) -> list[tuple[str, list[int]]]:
    with app.app_context():
        ballots = db.session.execute(
            sa.select(Ballot.id, Ballot.voter_key).where(Ballot.poll_id == poll_id)
        ).all()
        rows = [
            (
                key,
                sorted(
                    db.session.scalars(
                        sa.select(BallotChoice.option_id).where(BallotChoice.ballot_id == bid)
                    )
                ),
            )
            for bid, key in ballots
        ]
        db.session.remove()
    return rows


def store(app: Flask, poll_id: int, voter_key: str, options: list[int]) -> int:
    with app.app_context():
        return store_ballot(
            poll_id=poll_id,
            voter_key=voter_key,
            ip_hash="i" * 32,
            net_hash="n" * 32,
            read_seconds=3.5,
            created_at=utcnow(),
            options=options,
        )


def test_a_ballot_is_stored_with_all_its_choices_and_its_id(app: Flask) -> None:
    poll_id = make_poll(app, multiple=True, max_choices=3)
    first, _, third = option_ids(app, poll_id)
    ballot_id = store(app, poll_id, "c:reader", [first, third])
    with app.app_context():
        ballot = db.session.get(Ballot, ballot_id)
        assert (ballot.voter_key, ballot.read_seconds, ballot.revision) == ("c:reader", 3.5, 0)
        assert ballot.created_at.tzinfo is not None
        db.session.remove()
    assert ballot_rows(app, poll_id) == [("c:reader", [first, third])]


def test_a_second_ballot_of_one_voter_is_refused_and_writes_nothing(app: Flask) -> None:
    poll_id = make_poll(app)
    first, second, _ = option_ids(app, poll_id)
    store(app, poll_id, "c:reader", [first])
    with pytest.raises(IntegrityError):
        store(app, poll_id, "c:reader", [second])
    assert ballot_rows(app, poll_id) == [("c:reader", [first])]


def test_a_choice_the_database_refuses_leaves_no_ballot(app: Flask) -> None:
    poll_id = make_poll(app)
    first = option_ids(app, poll_id)[0]
    with pytest.raises(IntegrityError):  # the same option twice breaks the primary key
        store(app, poll_id, "c:reader", [first, first])
    assert ballot_rows(app, poll_id) == []


def test_a_ballot_without_choices_is_never_written(app: Flask) -> None:
    poll_id = make_poll(app)
    with pytest.raises(ValueError):
        store(app, poll_id, "c:reader", [])
    assert ballot_rows(app, poll_id) == []


def results(total: int) -> ResultsView:
    lines = (ResultLine(1, "Да", total, 100), ResultLine(2, "Нет", 0, 0))
    return ResultsView(7, lines, total, total, 3, False, True, None)


def test_screens_that_render_alike_share_a_key_and_any_difference_splits_it() -> None:
    thanks = (Notice("success", "Спасибо!"),)

    def screen(**changes) -> PollScreen:
        fields = {
            "poll": poll_info(),
            "mode": "results",
            "results": results(5),
            "notices": thanks,
            "voted": True,
            "own_choice": (1,),
        }
        return PollScreen(**{**fields, **changes})

    key = screen().content_key()
    assert screen().content_key() == key
    hash(key)
    for different in (
        screen(results=results(6)),
        screen(own_choice=(2,)),
        screen(notices=(*thanks, Notice("info", "По сети и браузеру"))),
        screen(can_change=True),
        screen(mode="thanks", results=None),
        screen(poll=poll_info(multiple=True, max_choices=2)),
    ):
        assert different.content_key() != key
    with pytest.raises(ValueError):
        screen(mode="form").content_key()
