"""The vote flow through the test client: success, and each refusal with its own status."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask

from polls_site.core.db import db
from polls_site.core.redis import redis_client
from polls_site.models import Ballot, BallotChoice, PollStatus, ResultsVisibility, utcnow
from polls_site.polls.cache import forget_poll
from polls_site.polls.limits import dedupe_key
from polls_site.widget.voters import VOTER_HEADER
from tests.support.factories import closed_poll_fields, make_poll, option_ids
from tests.support.polls import Voting


def ballots(app: Flask, poll_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count()).select_from(Ballot).where(Ballot.poll_id == poll_id)
        )


def choice_rows(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(BallotChoice))


def test_widget_renders_a_form_that_works_without_javascript(client, poll_id) -> None:
    response = client.get(f"/w/poll/{poll_id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" in html
    form = re.search(r'<form[^>]*method="post"[^>]*action="([^"]+)"', html)
    assert form and "/vote" in form.group(1)
    assert html.count('type="radio" name="option"') == 3
    assert re.search(r'<input type="hidden" name="token" value="[^"]+">', html)
    assert "Голосовать" in html and "Результаты" in html
    # The form every new reader sees is shared: no identity is minted on a GET.
    assert "Set-Cookie" not in response.headers
    assert "HX-Request" in response.headers["Vary"]


def test_htmx_gets_a_fragment(client, poll_id) -> None:
    html = client.get(f"/w/poll/{poll_id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in html
    assert html.lstrip().startswith('<section id="poll"')


@pytest.mark.parametrize("htmx", [True, False])
def test_results_link_shows_results_without_voting(app, client, poll_id, htmx) -> None:
    headers = {"HX-Request": "true"} if htmx else {}
    html = client.get(f"/w/poll/{poll_id}?view=results", headers=headers).get_data(as_text=True)
    assert 'id="poll-results"' in html
    assert "Всего голосов: 0" in html
    assert ("<html" in html) is not htmx
    assert ballots(app, poll_id) == 0


def test_vote_with_htmx_swaps_in_results_with_the_vote_counted(app, voting, poll_id) -> None:
    first, second, _third = option_ids(app, poll_id)
    response = voting.vote(poll_id, second)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Спасибо! Ваш голос учтён." in html
    assert "Всего голосов: 1" in html
    assert re.search(rf'data-option-id="{second}">\s*<span class="result-percent">100%', html)
    assert ballots(app, poll_id) == 1
    assert 'name="option"' not in html


def test_vote_without_javascript_redirects_to_results(app, client, voting, poll_id) -> None:
    option = option_ids(app, poll_id)[0]
    response = voting.vote(poll_id, option, htmx=False)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/w/poll/{poll_id}?done=1")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Спасибо! Ваш голос учтён." in page
    assert "Всего голосов: 1" in page


def test_second_vote_is_refused_with_results(app, voting, poll_id) -> None:
    option = option_ids(app, poll_id)[0]
    assert voting.vote(poll_id, option).status_code == 200
    again = voting.vote(poll_id, option)
    assert again.status_code == 409
    assert "Вы уже голосовали в этом опросе." in again.get_data(as_text=True)
    assert 'id="poll-results"' in again.get_data(as_text=True)
    assert ballots(app, poll_id) == 1


def test_database_constraint_catches_what_redis_forgot(app, voting, poll_id) -> None:
    option = option_ids(app, poll_id)[0]
    token = voting.token(poll_id)
    assert voting.vote(poll_id, option, token=token).status_code == 200
    with app.app_context():
        # As if Redis had restarted and lost the dedupe keys.
        for key in redis_client().scan_iter(match=dedupe_key(poll_id, "*")):
            redis_client().delete(key)
    again = voting.vote(poll_id, option, token=token)
    assert again.status_code == 409
    assert ballots(app, poll_id) == 1


def test_returning_reader_sees_results_not_the_form(app, client, voting, poll_id) -> None:
    voting.vote(poll_id, option_ids(app, poll_id)[0])
    html = client.get(f"/w/poll/{poll_id}").get_data(as_text=True)
    assert "Вы проголосовали в этом опросе." in html
    assert 'name="option"' not in html


def test_closed_poll_refuses_votes(app, voting) -> None:
    poll_id = make_poll(app)
    token = voting.token(poll_id)
    with app.app_context():
        from polls_site.models import Poll

        poll = db.session.get(Poll, poll_id)
        poll.status = PollStatus.CLOSED
        db.session.commit()
        forget_poll(poll_id)  # as the editors' close action does
    response = voting.vote(poll_id, option_ids(app, poll_id)[0], token=token)
    assert response.status_code == 410
    assert "Голосование окончено: опрос закрыт." in response.get_data(as_text=True)
    assert ballots(app, poll_id) == 0


def test_closed_poll_shows_frozen_results_without_polling(app, client) -> None:
    poll_id = make_poll(app, **closed_poll_fields())
    html = client.get(f"/w/poll/{poll_id}").get_data(as_text=True)
    assert "Опрос завершён." in html
    assert 'id="poll-results"' in html
    assert "hx-trigger" not in html
    assert 'name="option"' not in html


def test_poll_not_open_yet_refuses_votes(app, voting) -> None:
    from datetime import timedelta

    poll_id = make_poll(app)
    token = voting.token(poll_id)
    with app.app_context():
        from polls_site.models import Poll

        db.session.get(Poll, poll_id).opens_at = utcnow() + timedelta(days=1)
        db.session.commit()
        forget_poll(poll_id)
    response = voting.vote(poll_id, option_ids(app, poll_id)[0], token=token)
    assert response.status_code == 409
    assert "Голосование ещё не началось." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "choice, message",
    [
        ([], "Выберите вариант ответа."),
        (["999999"], "В этом опросе нет такого варианта ответа."),
        (["abc"], "В этом опросе нет такого варианта ответа."),
    ],
)
def test_bad_choices_are_refused(app, client, voting, poll_id, choice, message) -> None:
    response = client.post(
        f"/w/poll/{poll_id}/vote",
        data={"token": voting.token(poll_id), "option": choice},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert 'name="option"' in html  # the form is back, ready for another try
    assert ballots(app, poll_id) == 0


def test_option_of_another_poll_is_refused(app, voting, poll_id) -> None:
    other = make_poll(app, options=["A", "B"])
    response = voting.vote(poll_id, option_ids(app, other)[0])
    assert response.status_code == 422
    assert ballots(app, poll_id) == 0 and choice_rows(app) == 0


def test_multiple_choice_limits_and_counts(app, voting) -> None:
    poll_id = make_poll(app, options=["A", "B", "C"], multiple=True, max_choices=2)
    a, b, c = option_ids(app, poll_id)
    too_many = voting.vote(poll_id, a, b, c)
    assert too_many.status_code == 422
    assert "Можно выбрать не больше 2 вариантов." in too_many.get_data(as_text=True)
    assert ballots(app, poll_id) == 0
    ok = voting.vote(poll_id, a, c)
    html = ok.get_data(as_text=True)
    assert ok.status_code == 200
    assert "Всего голосов: 2" in html
    assert "Проголосовал 1 человек" in html
    assert choice_rows(app) == 2


def test_kept_selection_after_an_error(app, voting) -> None:
    poll_id = make_poll(app, options=["A", "B", "C"], multiple=True, max_choices=1)
    a, b, _ = option_ids(app, poll_id)
    html = voting.vote(poll_id, a, b).get_data(as_text=True)
    assert html.count("checked") == 2


@pytest.mark.parametrize(
    "token, headers",
    [
        ("not-a-token", {}),
        (None, {"Sec-Fetch-Site": "cross-site"}),
        (None, {"Origin": "https://evil.example"}),
    ],
)
def test_forged_or_cross_site_posts_are_refused(app, voting, poll_id, token, headers) -> None:
    response = voting.vote(poll_id, option_ids(app, poll_id)[0], token=token, headers=headers)
    assert response.status_code == 403
    assert "Форма устарела или отправлена с другого сайта." in response.get_data(as_text=True)
    assert ballots(app, poll_id) == 0


def test_same_origin_headers_are_accepted(app, voting, poll_id) -> None:
    headers = {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"}
    assert voting.vote(poll_id, option_ids(app, poll_id)[0], headers=headers).status_code == 200


def test_token_of_another_poll_is_refused(app, voting, poll_id) -> None:
    other = make_poll(app)
    response = voting.vote(poll_id, option_ids(app, poll_id)[0], token=voting.token(other))
    assert response.status_code == 403


def test_expired_token_is_refused(app, voting, poll_id) -> None:
    token = voting.token(poll_id)
    app.config["VOTE_TOKEN_MAX_AGE"] = -1
    assert voting.vote(poll_id, option_ids(app, poll_id)[0], token=token).status_code == 403


def test_vote_by_get_is_not_allowed(client, poll_id) -> None:
    response = client.get(f"/w/poll/{poll_id}/vote")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def test_burst_over_the_ip_limit_gets_429(app, poll_id) -> None:
    app.config["VOTE_LIMIT_IP_POLL"] = "3/600"
    option = option_ids(app, poll_id)[0]
    statuses = []
    for _ in range(5):
        reader = Voting(app.test_client())  # a new reader each time, same IP
        statuses.append(reader.vote(poll_id, option))
    assert [r.status_code for r in statuses] == [200, 200, 200, 429, 429]
    limited = statuses[-1]
    assert 0 < int(limited.headers["Retry-After"]) <= 600
    assert "Слишком много голосов из вашей сети." in limited.get_data(as_text=True)
    assert ballots(app, poll_id) == 3


def test_network_limit_counts_new_ballots_from_one_slash_24(app, poll_id) -> None:
    app.config["VOTE_LIMIT_NET_POLL"] = "3/600"
    option = option_ids(app, poll_id)[0]
    statuses = []
    for ip in ("203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4", "203.0.114.4"):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = ip
        statuses.append(Voting(client).vote(poll_id, option))
    # The fourth address of the /24 is refused; an address of the next /24 is not.
    assert [r.status_code for r in statuses] == [200, 200, 200, 429, 200]
    assert 0 < int(statuses[3].headers["Retry-After"]) <= 600
    assert ballots(app, poll_id) == 4


def test_overall_ip_limit_spans_polls(app) -> None:
    app.config["VOTE_LIMIT_IP"] = "2/600"
    polls = [make_poll(app) for _ in range(3)]
    reader = Voting(app.test_client())
    codes = [reader.vote(p, option_ids(app, p)[0]).status_code for p in polls]
    assert codes == [200, 200, 429]


@pytest.mark.parametrize("proxies, expected", [(0, [200, 429]), (1, [200, 200])])
def test_forwarded_for_counts_only_behind_a_trusted_proxy(
    database_url, redis_url, redis_prefix, _schema, proxies, expected
) -> None:
    from polls_site import create_app
    from tests.support.app import app_config, empty_tables

    app = create_app(
        app_config(
            database_url,
            redis_url,
            f"{redis_prefix}-xff{proxies}:",
            TRUSTED_PROXY_COUNT=proxies,
            VOTE_LIMIT_IP_POLL="1/600",
        )
    )
    try:
        poll_id = make_poll(app)
        option = option_ids(app, poll_id)[0]
        codes = []
        for fake_ip in ("203.0.113.7", "198.51.100.9"):
            reader = Voting(app.test_client())
            codes.append(
                reader.vote(poll_id, option, headers={"X-Forwarded-For": fake_ip}).status_code
            )
        assert codes == expected
    finally:
        empty_tables(app)


def test_reader_without_cookies_or_storage_votes_once_and_is_told(app, poll_id) -> None:
    option = option_ids(app, poll_id)[0]
    token = Voting(app.test_client()).token(poll_id)

    def cookieless_vote(user_agent: str):
        # No cookie kept and no script storage (no X-Voter-Id): the last resort.
        fresh = app.test_client(use_cookies=False)
        return fresh.post(
            f"/w/poll/{poll_id}/vote",
            data={"token": token, "option": str(option)},
            headers={"HX-Request": "true", "User-Agent": user_agent},
        )

    first = cookieless_vote("Safari/17")
    assert first.status_code == 200
    told = first.get_data(as_text=True)
    assert "не сохраняет для этого виджета ни cookie, ни данные сайта" in told
    assert "в той же сети с таким же браузером" in told  # its strength, said honestly
    assert cookieless_vote("Safari/17").status_code == 409
    assert cookieless_vote("Firefox/140").status_code == 200  # another browser on the network
    assert ballots(app, poll_id) == 2


def test_forged_voter_cookie_does_not_mint_a_voter(app, client, voting, poll_id) -> None:
    option = option_ids(app, poll_id)[0]
    voting.tokens[poll_id] = voting.token(poll_id)
    # Forged cookies and a forged stored id are no identity: the reader is known by
    # fingerprint (no "new" asked for, as a browser without script storage).
    client.set_cookie("pv", "someone-else.forged")
    assert voting.vote(poll_id, option, headers={VOTER_HEADER: ""}).status_code == 200
    client.set_cookie("pv", "another-one.forged")
    forged_store = {VOTER_HEADER: "c:mine.forged"}
    assert voting.vote(poll_id, option, headers=forged_store).status_code == 409
    with app.app_context():
        keys = db.session.scalars(sa.select(Ballot.voter_key)).all()
    assert len(keys) == 1 and keys[0].startswith("f:")


def test_results_visible_after_vote_only(app, voting, client) -> None:
    poll_id = make_poll(app, results_visibility=ResultsVisibility.AFTER_VOTE)
    html = client.get(f"/w/poll/{poll_id}").get_data(as_text=True)
    assert "Результаты" not in html
    hidden = client.get(f"/w/poll/{poll_id}/results", headers={"HX-Request": "true"})
    assert hidden.status_code == 403
    assert client.get(f"/api/polls/{poll_id}/results").status_code == 403
    voted = voting.vote(poll_id, option_ids(app, poll_id)[0]).get_data(as_text=True)
    assert "Всего голосов: 1" in voted
    own = client.get(f"/w/poll/{poll_id}/results", headers={"HX-Request": "true"})
    assert own.status_code == 200 and "private" in own.headers["Cache-Control"]


def test_results_never_shown(app, voting) -> None:
    poll_id = make_poll(app, results_visibility=ResultsVisibility.NEVER)
    html = voting.vote(poll_id, option_ids(app, poll_id)[0]).get_data(as_text=True)
    assert "Спасибо! Ваш голос учтён." in html
    assert "Результаты будут опубликованы после завершения опроса." in html
    assert 'id="poll-results"' not in html


@pytest.mark.parametrize("path", ["/w/poll/999999", "/w/poll/999999/results"])
def test_unknown_poll_is_a_404_in_russian(client, path) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "Не найдено" in response.get_data(as_text=True)


def test_draft_poll_is_not_public(app, client) -> None:
    poll_id = make_poll(app, status=PollStatus.DRAFT)
    assert client.get(f"/w/poll/{poll_id}").status_code == 404
    assert client.get("/api/polls").get_json() == []


def test_english_on_request_and_links_keep_it(client, poll_id) -> None:
    html = client.get(f"/w/poll/{poll_id}?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert ">Vote<" in html and "Голосовать" not in html
    assert f"/w/poll/{poll_id}/vote?lang=en" in html


def test_english_fragments_keep_the_language_too(client, poll_id) -> None:
    html = client.get(f"/w/poll/{poll_id}?lang=en", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert f"/w/poll/{poll_id}/vote?lang=en" in html
    assert ">Vote<" in html
