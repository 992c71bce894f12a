"""Vote changes in the staff area: the editor's setting (off by default) and the audit
trail of changes on the analytics page, which names ballots, never readers."""

from __future__ import annotations

from polls_site.core.db import db
from polls_site.models import Poll
from tests.staff.test_poll_editor import poll_form
from tests.support.factories import make_poll, option_ids
from tests.support.polls import Voting


def test_the_setting_is_off_by_default_and_saved_when_ticked(app, editor) -> None:
    page = editor.get("/staff/polls/new").get_data(as_text=True)
    assert "Разрешить изменить голос" in page
    plain = editor.post("/staff/polls/new", poll_form())
    ticked = editor.post("/staff/polls/new", poll_form(allow_vote_change="y"))
    ids = [int(r.headers["Location"].rstrip("/").split("/")[-1]) for r in (plain, ticked)]
    with app.app_context():
        assert [db.session.get(Poll, i).allow_vote_change for i in ids] == [False, True]


def test_the_analytics_page_shows_each_change_without_the_reader(app, editor) -> None:
    poll_id = make_poll(app, options=["Красный", "Синий", "Зелёный"], allow_vote_change=True)
    red, blue, _green = option_ids(app, poll_id)
    reader = Voting(app.test_client())
    assert reader.vote(poll_id, red).status_code == 200
    assert reader.vote(poll_id, blue).status_code == 200
    html = editor.get(f"/staff/polls/{poll_id}/analytics").get_data(as_text=True)
    trail = html[html.index("Изменения голосов") : html.index("Подозрительные голоса")]
    assert "1 голос изменён" in trail
    was, became = trail.index("Красный"), trail.index("Синий")
    assert was < became
    assert "c:" not in trail and "f:" not in trail  # no voter key, not even hashed
