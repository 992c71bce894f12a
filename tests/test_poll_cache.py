"""The cached copy of a poll: faithful, shared through Redis, dropped on demand."""

from __future__ import annotations

from datetime import UTC, datetime

from polls_site.extensions import db
from polls_site.models import Poll
from polls_site.poll_cache import OptionInfo, PollInfo, forget_poll, load_poll
from tests.conftest import make_poll


def test_json_round_trip() -> None:
    info = PollInfo(
        id=3,
        question="Вопрос «с кавычками»?",
        status="open",
        opens_at=datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
        closes_at=None,
        multiple=True,
        max_choices=2,
        results_visibility="always",
        options=(OptionInfo(7, "Да"), OptionInfo(5, "Нет")),
    )
    assert PollInfo.from_json(info.to_json()) == info


def test_second_load_comes_from_redis(app) -> None:
    poll_id = make_poll(app, options=["A", "B"])
    with app.app_context():
        first = load_poll(poll_id)
        assert [o.text for o in first.options] == ["A", "B"]
        db.session.get(Poll, poll_id).question = "changed"
        db.session.commit()
        assert load_poll(poll_id) == first  # the cached copy, until it is dropped
        forget_poll(poll_id)
        assert load_poll(poll_id).question == "changed"


def test_unknown_poll_is_cached_as_missing(app) -> None:
    with app.app_context():
        assert load_poll(424242) is None
        original = db.session.scalars
        db.session.scalars = None  # type: ignore[assignment]
        try:
            assert load_poll(424242) is None  # answered by Redis alone
        finally:
            db.session.scalars = original  # type: ignore[assignment]
