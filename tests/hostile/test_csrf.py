"""CSRF on every state-changing route (walks the URL map, so a new route without
protection fails here).

Three mechanisms, and nothing else may change state:
- widget routes (csrf-exempt blueprints, posted from a cross-site iframe where no
  session cookie may arrive): a signed per-render token plus an Origin /
  Sec-Fetch-Site check, each refusal 403 and nothing written;
- the links in notification mail (confirm, unsubscribe, a mail client's RFC 8058
  one-click POST): the signed token in the URL is the authority, a forged one is 404;
- everything else: Flask-WTF's session token, refused with 400.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from itsdangerous import URLSafeTimedSerializer
from werkzeug.routing import Rule

from polls_site.core.db import db
from polls_site.core.session import csrf
from polls_site.models import (
    Ballot,
    Comment,
    CommentLike,
    CommentReport,
    CommentStatus,
    EmailOptOut,
    ReplySubscription,
    Role,
)
from polls_site.notifications.tokens import confirm_token
from tests.support.app import sample_url
from tests.support.comments import Commenting
from tests.support.factories import (
    KEY,
    make_comment,
    make_poll,
    make_staff,
    make_thread,
    option_ids,
)
from tests.support.polls import Voting
from tests.support.staff import CSRF_RE, StaffClient

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
# Endpoint -> (token salt, status of every refusal). A csrf-exempt route missing here
# fails test_every_exempt_route_is_in_the_widget_table.
WIDGET_ROUTES = {
    "polls.vote": ("widget-vote", 403),
    "comments.post": ("widget-comment", 403),
    "comments.edit": ("widget-comment", 403),
    "comments.delete": ("widget-comment", 403),
    "comments.like": ("widget-comment", 403),
    "comments.report": ("widget-comment", 403),
}
# Endpoint -> its URL with the token in it.
LINK_ROUTES = {
    "notifications.confirm_post": "/notify/confirm/{}",
    "notifications.unsubscribe_post": "/notify/unsubscribe/{}",
}
SESSION_REFUSAL = 400
CROSS_SITE = ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"})


def state_changing_rules(app: Flask) -> list[tuple[Rule, str]]:
    """(rule, method) for every route and state-changing method of the app."""
    return [
        (rule, method)
        for rule in app.url_map.iter_rules()
        for method in sorted((rule.methods or set()) & STATE_CHANGING)
    ]


def is_exempt(app: Flask, endpoint: str) -> bool:
    """True when Flask-WTF does not check this endpoint's session token."""
    view = app.view_functions[endpoint]
    blueprint = endpoint.rsplit(".", 1)[0] if "." in endpoint else None
    return (
        blueprint in csrf._exempt_blueprints
        or f"{view.__module__}.{view.__name__}" in csrf._exempt_views
    )


def test_there_are_state_changing_routes_and_all_are_classified(app: Flask) -> None:
    rules = state_changing_rules(app)
    assert len(rules) >= 15
    assert {rule.endpoint for rule, _ in rules} >= set(WIDGET_ROUTES)


def test_every_exempt_route_is_in_the_widget_table(app: Flask) -> None:
    for rule, method in state_changing_rules(app):
        if is_exempt(app, rule.endpoint):
            assert rule.endpoint in WIDGET_ROUTES or rule.endpoint in LINK_ROUTES, (
                f"{method} {rule.rule} skips Flask-WTF's CSRF check but is not a widget "
                "route with a signed token: protect it and add it to WIDGET_ROUTES"
            )


def test_every_other_route_refuses_a_missing_or_forged_session_token(app: Flask) -> None:
    assert app.config.get("WTF_CSRF_ENABLED", True)
    make_staff(app, "boss", Role.ADMIN)
    admin = StaffClient(app.test_client())
    assert admin.login("boss").status_code == 303
    # A token that is valid, but for another browser's session.
    stranger = app.test_client()
    forged = CSRF_RE.search(stranger.get("/staff/login").get_data(as_text=True)).group(1)
    checked = 0
    for rule, method in state_changing_rules(app):
        if rule.endpoint in WIDGET_ROUTES or rule.endpoint in LINK_ROUTES:
            continue
        url = sample_url(app, rule)
        for data, headers in (
            ({}, {}),
            ({"csrf_token": forged}, {}),
            ({}, {"X-CSRFToken": forged, "HX-Request": "true"}),
            ({"csrf_token": "x" * 40}, {}),
        ):
            reply = admin.client.open(url, method=method, data=data, headers=headers)
            assert reply.status_code == SESSION_REFUSAL, (method, rule.rule, data, headers)
            assert "Traceback" not in reply.get_data(as_text=True)
        checked += 1
    assert checked >= 14


def test_mail_link_routes_refuse_forged_tokens_and_change_nothing(app: Flask) -> None:
    def rows() -> tuple[int, int, int]:
        with app.app_context():
            confirmed = db.session.scalar(
                sa.select(sa.func.count(ReplySubscription.id)).where(
                    ReplySubscription.confirmed_at.is_not(None)
                )
            )
            counts = (
                db.session.scalar(sa.select(sa.func.count(ReplySubscription.id))),
                confirmed,
                db.session.scalar(sa.select(sa.func.count(EmailOptOut.email_hash))),
            )
            db.session.remove()
        return counts

    before = rows()
    with app.app_context():
        other_key = URLSafeTimedSerializer("not-our-secret").dumps({"s": 1, "e": "a@b.example"})
        real = confirm_token(1, "a@b.example")
    client = app.test_client()
    for url in LINK_ROUTES.values():
        for token in ("x" * 40, other_key, real[:-3] + "abc"):
            for data in ({}, {"List-Unsubscribe": "One-Click"}):
                reply = client.post(url.format(token), data=data)
                assert reply.status_code == 404, (url, token)
    assert rows() == before


class Widget:
    """A poll, a thread with someone's approved comment and the reader's own comment."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.poll_id = make_poll(app)
        self.option = option_ids(app, self.poll_id)[0]
        self.thread_id = make_thread(app)
        self.others = make_comment(app, thread=self.thread_id, voter_key="c:someone-else")
        self.reader = Commenting(app.test_client())
        assert self.reader.post(text="Мой комментарий").status_code == 200
        with app.app_context():
            self.own = db.session.scalar(
                sa.select(Comment.id).where(Comment.status == CommentStatus.PENDING)
            )
        self.vote_token = Voting(self.reader.client).token(self.poll_id)
        self.comment_token = self.reader.token()

    def request(self, endpoint: str, token: str | None) -> tuple[str, dict]:
        """URL and form of a well-formed request to ``endpoint`` carrying ``token``."""
        if endpoint == "polls.vote":
            url, data = f"/w/poll/{self.poll_id}/vote", {"option": str(self.option)}
        elif endpoint == "comments.post":
            url, data = f"/w/comments/{KEY}", {"name": "Гость", "text": "Подделка", "website": ""}
        elif endpoint == "comments.edit":
            url, data = f"/w/comments/{KEY}/-/{self.own}/edit", {"text": "Подделка"}
        elif endpoint == "comments.delete":
            url, data = f"/w/comments/{KEY}/-/{self.own}/delete", {}
        elif endpoint == "comments.report":
            url, data = f"/w/comments/{KEY}/-/{self.others}/report", {"reason": "spam"}
        else:
            url, data = f"/w/comments/{KEY}/-/{self.others}/like", {}
        if token is not None:
            data["token"] = token
        return url, data

    def good_token(self, endpoint: str) -> str:
        return self.vote_token if endpoint == "polls.vote" else self.comment_token

    def forged_tokens(self, endpoint: str) -> list[str]:
        """Tokens an attacker could make: another key, another object, garbage."""
        salt = WIDGET_ROUTES[endpoint][0]
        target = self.poll_id if endpoint == "polls.vote" else self.thread_id
        other_key = URLSafeTimedSerializer("not-our-secret", salt=salt).dumps(target)
        with self.app.app_context():
            ours = URLSafeTimedSerializer(self.app.config["SECRET_KEY"], salt=salt)
            other_object = ours.dumps(target + 1000)
            other_purpose = URLSafeTimedSerializer(
                self.app.config["SECRET_KEY"], salt="widget-other"
            ).dumps(target)
        return ["", other_key, other_object, other_purpose, self.good_token(endpoint)[:-3] + "abc"]

    def state(self) -> tuple:
        with self.app.app_context():
            ballots = db.session.scalar(sa.select(sa.func.count(Ballot.id)))
            comments = db.session.execute(
                sa.select(Comment.id, Comment.text, Comment.status, Comment.revision).order_by(
                    Comment.id
                )
            ).all()
            likes = db.session.scalar(sa.select(sa.func.count(CommentLike.comment_id)))
            reports = db.session.scalar(sa.select(sa.func.count(CommentReport.id)))
            db.session.remove()
        return ballots, comments, likes, reports


def test_widget_routes_refuse_missing_forged_and_cross_site_tokens(app: Flask) -> None:
    widget = Widget(app)
    before = widget.state()
    client = widget.reader.client
    refusals = 0
    for endpoint, (_salt, status) in WIDGET_ROUTES.items():
        attempts = [(None, {})]
        attempts += [(token, {}) for token in widget.forged_tokens(endpoint)]
        attempts += [(widget.good_token(endpoint), headers) for headers in CROSS_SITE]
        for token, headers in attempts:
            for htmx in ({}, {"HX-Request": "true"}):
                url, data = widget.request(endpoint, token)
                reply = client.post(url, data=data, headers={**headers, **htmx})
                assert reply.status_code == status, (endpoint, token, headers, reply.status_code)
                refusals += 1
        assert widget.state() == before, f"{endpoint} changed state without a valid token"
    assert refusals == len(WIDGET_ROUTES) * 2 * 8


def test_the_same_widget_requests_with_the_real_token_succeed(app: Flask) -> None:
    # The control: the refusals above come from the token, not from a broken request.
    widget = Widget(app)
    client = widget.reader.client
    for endpoint in (
        "polls.vote",
        "comments.like",
        "comments.report",
        "comments.edit",
        "comments.post",
    ):
        url, data = widget.request(endpoint, widget.good_token(endpoint))
        reply = client.post(url, data=data, headers={"Origin": "http://localhost"})
        assert reply.status_code in (200, 303), (endpoint, reply.status_code)
    url, data = widget.request("comments.delete", widget.good_token("comments.delete"))
    assert client.post(url, data=data).status_code == 303
    ballots, comments, likes, reports = widget.state()
    assert (ballots, likes, reports) == (1, 1, 1)
    assert len(comments) == 3
