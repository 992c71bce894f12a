"""The cached copy of a poll: faithful, shared through Redis, dropped on demand."""

from __future__ import annotations

from datetime import UTC, datetime

from polls_site import create_app
from polls_site.core.db import db
from polls_site.core.near_cache import near_cache
from polls_site.models import Poll, Role
from polls_site.polls.cache import OptionInfo, PollInfo, forget_poll, load_poll
from polls_site.widget import voters
from tests.staff.test_poll_editor import poll_form, rows_of
from tests.support.app import app_config, close_connections, drain_queue
from tests.support.factories import make_poll, make_thread, option_ids
from tests.support.polls import Voting
from tests.support.staff import logged_in


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


def test_new_readers_share_one_rendered_form_until_the_poll_changes(app) -> None:
    poll_id = make_poll(app)
    first, second = Voting(app.test_client()), Voting(app.test_client())
    token = first.token(poll_id)
    assert second.token(poll_id) == token  # the same rendered form, cookies apart
    with app.app_context():
        db.session.get(Poll, poll_id).question = "Новый вопрос?"
        db.session.commit()
        forget_poll(poll_id)
    page = app.test_client().get(f"/w/poll/{poll_id}").get_data(as_text=True)
    assert "Новый вопрос?" in page


def test_results_html_is_shared_per_version(app, client) -> None:
    poll_id = make_poll(app)
    for _ in range(2):
        Voting(app.test_client()).vote(poll_id, option_ids(app, poll_id)[0])
    drain_queue(app)
    hx = {"HX-Request": "true"}
    fresh = client.get(f"/w/poll/{poll_id}/results?v=0", headers=hx).get_data(as_text=True)
    original = db.session.get
    db.session.get = None  # type: ignore[assignment]
    try:
        cached = client.get(f"/w/poll/{poll_id}/results?v=0", headers=hx).get_data(as_text=True)
    finally:
        db.session.get = original  # type: ignore[assignment]
    assert cached == fresh and "Всего голосов: 2" in cached


def test_a_new_readers_page_resolves_no_fingerprint(app, client, monkeypatch) -> None:
    """The shared form page asks only whether the reader is known: hashing the network and
    browser is for the reader's own pages and votes."""
    poll_id = make_poll(app)
    make_thread(app, key="some-thread")
    calls: list[str] = []
    original = voters._fingerprint_key

    def counted() -> str:
        calls.append("fingerprint")
        return original()

    monkeypatch.setattr(voters, "_fingerprint_key", counted)
    page = client.get(f"/w/poll/{poll_id}")
    assert page.status_code == 200
    assert 'name="option"' in page.get_data(as_text=True)
    assert client.get("/w/comments/some-thread").status_code == 200
    assert calls == []
    # After a vote without script (?done) the reader's own page is looked up, by fingerprint.
    assert client.get(f"/w/poll/{poll_id}?done=1").status_code == 200
    assert calls == ["fingerprint"]


def test_a_process_still_holding_the_old_poll_cannot_share_its_form(
    app, database_url, redis_url
) -> None:
    """After an edit another web process may keep its copy of the poll for
    NEAR_CACHE_SECONDS: the form it renders meanwhile stays its own, never what every
    process reads from Redis (there it would last POLL_CACHE_SECONDS)."""
    poll_id = make_poll(app, question="Старый вопрос?")
    page = f"/w/poll/{poll_id}"
    config = app_config(database_url, redis_url, app.config["REDIS_KEY_PREFIX"])
    late = create_app({**config, "NEAR_CACHE_SECONDS": 60})
    late_reader = late.test_client()
    assert "Старый вопрос?" in late_reader.get(page).get_data(as_text=True)
    # Its copy of the rendered form runs out first (the two were loaded at different times).
    with late.app_context():
        cache = near_cache()
        for key in [key for key in cache._entries if key != ("poll", poll_id)]:
            cache.forget(key)

    editor = logged_in(app, app.test_client(), "ed", Role.EDITOR)
    form = poll_form(question="Новый вопрос?", rows=rows_of(app, poll_id))
    assert editor.post(f"/staff/polls/{poll_id}", form).status_code == 303
    assert "Старый вопрос?" in late_reader.get(page).get_data(as_text=True)  # its own copy
    assert "Новый вопрос?" in app.test_client().get(page).get_data(as_text=True)
    close_connections(late)
