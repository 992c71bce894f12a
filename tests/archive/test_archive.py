"""The public archive: pages of published polls, each poll's page, and their Redis cache."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from polls_site.core.db import db
from polls_site.models import Ballot, PollStatus, utcnow
from polls_site.polls.recount import compute_snapshot
from polls_site.polls.versions import publish_version
from tests.support.factories import add_ballots, closed_poll_fields, make_poll, option_ids
from tests.support.polls import Voting

QUESTION_RE = re.compile(r'<h2 class="poll-question"><a href="/polls/(\d+)">')


def listed_ids(html: str) -> list[int]:
    return [int(i) for i in QUESTION_RE.findall(html)]


def test_archive_pages_newest_first_without_drafts(app, client) -> None:
    app.config["ARCHIVE_PAGE_SIZE"] = 2
    start = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    ids = [
        make_poll(app, question=f"Опрос {i}", opens_at=start + timedelta(days=i)) for i in range(5)
    ]
    make_poll(app, question="Черновик", status=PollStatus.DRAFT)
    first = client.get("/polls/")
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    assert listed_ids(html) == [ids[4], ids[3]]
    assert "Черновик" not in html
    assert 'href="/polls/?page=2"' in html and 'rel="prev"' not in html
    assert listed_ids(client.get("/polls/?page=2").get_data(as_text=True)) == [ids[2], ids[1]]
    last = client.get("/polls/?page=3").get_data(as_text=True)
    assert listed_ids(last) == [ids[0]] and 'rel="next"' not in last
    assert client.get("/polls/?page=4").status_code == 404
    assert client.get("/polls/?page=0").status_code == 404


def test_archive_shows_results_russian_dates_and_marks_open_polls(app, client) -> None:
    opened = datetime(2026, 10, 24, 13, 0, tzinfo=UTC)  # 18:00 in Almaty (UTC+5)
    open_id = make_poll(app, question="Открытый", opens_at=opened)
    closed_id = make_poll(app, question="Закрытый", **closed_poll_fields())
    Voting(client).vote(open_id, option_ids(app, open_id)[0])
    with app.app_context():
        compute_snapshot(open_id)
    html = client.get("/polls/").get_data(as_text=True)
    assert (
        'Открыт <time datetime="2026-10-24T13:00:00Z" data-local-time>'
        "24 октября 2026, 18:00 (Алматы)</time>"
    ) in html
    assert "Идёт голосование" in html and "Завершён" in html
    assert f'id="results-{open_id}"' in html and f'id="results-{closed_id}"' in html
    assert 'id="poll-results"' not in html  # one id per poll on a page of many
    assert "hx-trigger" not in html  # the list is a snapshot; the poll's page is live
    assert html.count(">Голосовать<") == 1


def test_archive_cache_is_dropped_when_the_worker_publishes_a_version(app, client, poll_id) -> None:
    before = client.get("/polls/").get_data(as_text=True)
    assert "Всего голосов: 0" in before
    add_ballots(app, poll_id, option_ids(app, poll_id)[:1], voters=["c:x"])
    # Still the cached page: nothing has published a new version yet.
    assert "Всего голосов: 0" in client.get("/polls/").get_data(as_text=True)
    with app.app_context():
        snapshot = compute_snapshot(poll_id)
        publish_version(poll_id, snapshot.version)
    assert "Всего голосов: 1" in client.get("/polls/").get_data(as_text=True)


def test_poll_page_is_canonical_and_votable(app, client, poll_id) -> None:
    page = client.get(f"/polls/{poll_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'<link rel="canonical" href="http://localhost/polls/{poll_id}">' in html
    assert f'hx-post="/w/poll/{poll_id}/vote"' in html
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    voted = Voting(client).vote(poll_id, option_ids(app, poll_id)[1], token=token)
    assert voted.status_code == 200
    assert "Спасибо! Ваш голос учтён." in voted.get_data(as_text=True)
    assert "How this poll was run" not in html and "Как проводился опрос" not in html


def test_a_vote_without_javascript_returns_to_the_archive_page(app, client, poll_id) -> None:
    html = client.get(f"/polls/{poll_id}").get_data(as_text=True)
    assert '<input type="hidden" name="back" value="archive">' in html
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    option = option_ids(app, poll_id)[0]
    voted = client.post(
        f"/w/poll/{poll_id}/vote", data={"token": token, "option": str(option), "back": "archive"}
    )
    assert voted.status_code == 303
    assert voted.headers["Location"] == f"/polls/{poll_id}?done=1"
    after = client.get(voted.headers["Location"]).get_data(as_text=True)
    assert "Спасибо! Ваш голос учтён." in after and "Как проводился опрос" not in after
    # Any other value of the field leads to the widget, never elsewhere. (Another browser:
    # without script or cookie, the first one is known by its network and browser.)
    reply = app.test_client().post(
        f"/w/poll/{poll_id}/vote",
        data={"token": token, "option": str(option), "back": "https://evil.example/"},
        headers={"User-Agent": "another browser"},
    )
    assert reply.headers["Location"] == f"/w/poll/{poll_id}?done=1"


def test_closed_poll_page_has_a_method_card(app, client) -> None:
    poll_id = make_poll(app, **closed_poll_fields())
    a, b, _ = option_ids(app, poll_id)
    with app.app_context():
        from polls_site.models import BallotChoice

        for i, option in enumerate([a, a, b, b]):
            ballot = Ballot(
                poll_id=poll_id,
                voter_key=f"c:{i}",
                ip_hash="h",
                created_at=utcnow() - timedelta(days=2),
            )
            if i >= 2:
                ballot.voided_at, ballot.void_reason = utcnow(), "всплеск из одной сети"
            ballot.choices = [BallotChoice(option_id=option, poll_id=poll_id)]
            db.session.add(ballot)
        db.session.commit()
        compute_snapshot(poll_id)
    html = client.get(f"/polls/{poll_id}").get_data(as_text=True)
    assert "Как проводился опрос" in html
    assert "2 голоса" in html and "2 человека" in html
    assert "всплеск из одной сети — 2" in html
    # The rule of the percentages, for a single-choice poll; the identity it relied on.
    assert "Доли от числа проголосовавших: у каждого один ответ." in html
    assert "Один голос от человека" in html
    assert "не репрезентативен" in html
    assert client.get("/polls/999999").status_code == 404
    draft = make_poll(app, status=PollStatus.DRAFT)
    assert client.get(f"/polls/{draft}").status_code == 404


def test_demo_polls_in_the_archive(app, runner, client) -> None:
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    current = client.get("/api/polls/current?section=main").get_json()["id"]
    portal = client.get(f"/api/polls/{current}/results").get_json()
    assert [o["percent"] for o in portal["options"]] == [31, 23, 13, 12, 12, 9]
    html = client.get("/polls/").get_data(as_text=True)
    assert len(listed_ids(html)) == 3 and listed_ids(html)[0] == current
    assert html.count("Идёт голосование") == 1 and html.count("Завершён") == 2
    closed = listed_ids(html)[1]
    card = client.get(f"/polls/{closed}").get_data(as_text=True)
    assert "<dd>997 голосов</dd>" in card and "<dd>997 человек</dd>" in card


def test_no_method_card_counts_for_unpublished_results(app, client) -> None:
    poll_id = make_poll(app, results_visibility="never", **closed_poll_fields())
    html = client.get(f"/polls/{poll_id}").get_data(as_text=True)
    assert "Как проводился опрос" not in html
    assert "Результаты этого опроса не публикуются." in html


def test_a_multiple_choice_method_card_says_what_the_percentages_are_of(app, client) -> None:
    poll_id = make_poll(app, multiple=True, max_choices=2, **closed_poll_fields())
    html = client.get(f"/polls/{poll_id}").get_data(as_text=True)
    assert "Доли от всех поданных голосов" in html
    assert "Доли от числа проголосовавших" not in html
