"""seed-demo's comment thread: the seed article, comments in several states, once."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from polls_site.core.db import db
from polls_site.demo.seed import DEMO_THREAD_KEY, DEMO_THREAD_TITLE
from polls_site.models import Comment, CommentLike, Thread


def test_seed_demo_adds_the_article_thread_once(app: Flask, runner, client: FlaskClient) -> None:
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        [thread] = db.session.scalars(sa.select(Thread)).all()
        assert (thread.key, thread.title) == (DEMO_THREAD_KEY, DEMO_THREAD_TITLE)
        statuses = sorted(db.session.scalars(sa.select(Comment.status)))
        assert statuses == ["approved"] * 4 + ["rejected", "review"]
        assert thread.comment_count == 4
        likes = db.session.scalar(sa.select(sa.func.sum(Comment.likes)))
        assert likes == db.session.scalar(sa.select(sa.func.count()).select_from(CommentLike))
        review = db.session.scalar(sa.select(Comment).where(Comment.status == "review"))
        [reason] = review.reasons
        start, end = reason["spans"][0]
        assert review.text[start:end] == reason["detail"] == "дураки"

    page = client.get(f"/w/comments/{DEMO_THREAD_KEY}").get_data(as_text=True)
    assert 'Комментарии <span class="count">[4]</span>' in page
    assert "ответ для Гульнары" in page
    assert "дураки" not in page and "1xbet" not in page
    counts = client.get(f"/api/comments/count?key={DEMO_THREAD_KEY}").get_json()
    assert counts == {DEMO_THREAD_KEY: 4}
