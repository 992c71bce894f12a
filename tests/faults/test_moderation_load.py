"""Moderation under hostile load never holds up a vote count (issue 16, item 4).

100 adversarial comments (3,000 characters each: masked, spelled-out, look-alike and
near-miss words) are moderated with the worst wildcard pattern staff may add to the
suspect list, ``*х*у*й*``. With a worker per queue (what ``make run`` starts) a vote
posted meanwhile is counted within 2 s; with one plain ``python worker.py`` a recount
waits at most for the moderation job in progress, and the worst such job is measured.
"""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from polls_site.comments.jobs import enqueue_moderation, moderate_comment
from polls_site.core.db import db
from polls_site.models import Comment, CommentStatus, ModerationWord, ResultSnapshot, WordKind
from polls_site.polls.jobs import request_recompute
from tests.support.factories import add_ballots, make_comment, make_poll, option_ids
from tests.support.faults import wait_for
from tests.support.live import LiveServer, worker_host

pytestmark = pytest.mark.slow

WORST_PATTERN = "*х*у*й*"
COMMENTS = 100
LENGTH = 3000  # the longest comment the form takes (comments/forms.py MAX_TEXT)
VOTE_COUNTED_WITHIN = 2.0

# Shapes that make the matcher work hardest: many short words the pattern nearly takes,
# masks it must try against every form of the banned lemmas, spelled-out letters,
# look-alikes and digits, one long word. Each comment varies its letters so that the
# analyser's memo of earlier comments does not help.
_SHAPES = (
    "{a}у{b} ",
    "х*{a} ",
    "п#{a}*@ц ",
    "х у {a} ",
    "х.{a}.й.",
    "x{a}йχу",
    "х0{a}3й4 ",
    "ху{a}{b}лоподобный{b}хуесос ",
)


def adversarial_comments(count: int = COMMENTS, seed: int = 16) -> list[str]:
    """``count`` texts of LENGTH characters built to make word matching expensive."""
    rng = random.Random(seed)
    letters = "абвгдежзийклмнопрстуфхцчшщыьэюя"
    texts = []
    for i in range(count):
        shape = _SHAPES[i % len(_SHAPES)]
        parts: list[str] = []
        while sum(map(len, parts)) < LENGTH:
            parts.append(shape.format(a=rng.choice(letters), b=rng.choice(letters)))
        texts.append("".join(parts)[:LENGTH])
    return texts


def add_worst_pattern(app) -> None:
    with app.app_context():
        db.session.add(ModerationWord(kind=WordKind.SUSPECT.value, pattern=WORST_PATTERN))
        db.session.commit()
        db.session.remove()


def store_adversarial(app) -> list[int]:
    """The adversarial comments stored pending, each from its own reader (no velocity)."""
    return [
        make_comment(
            app,
            text,
            status=CommentStatus.PENDING,
            voter_key=f"c:hostile-{i}",
            ip_hash=f"hostile-{i}",
        )
        for i, text in enumerate(adversarial_comments())
    ]


def pending(app) -> int:
    with app.app_context():
        count = db.session.scalar(
            sa.select(sa.func.count(Comment.id)).where(Comment.status == CommentStatus.PENDING)
        )
        db.session.remove()
        return count


def counted(app, poll_id: int) -> int:
    with app.app_context():
        snapshot = db.session.get(ResultSnapshot, poll_id)
        total = snapshot.total if snapshot else 0
        db.session.remove()
        return total


def vote(app, poll_id: int, tag: str) -> None:
    add_ballots(app, poll_id, option_ids(app, poll_id)[:1], voters=[tag], ip_hash=tag)
    with app.app_context():
        assert request_recompute(poll_id)


@pytest.fixture
def host(database_url, redis_url, redis_prefix, _schema, tmp_path_factory) -> Iterator[LiveServer]:
    """Workers for an app of their own (no web server: the test writes to the database)."""
    with worker_host(
        database_url,
        redis_url,
        f"{redis_prefix}-load{secrets.token_hex(3)}:",
        tmp_path_factory.mktemp("workers"),
        RECOMPUTE_MIN_INTERVAL=0,
    ) as server:
        yield server


def saturate_then_vote(host: LiveServer) -> float:
    """Queue the adversarial set, wait until the workers count a first vote and moderate
    a first comment, then vote again: the seconds until that vote is counted."""
    app = host.app
    add_worst_pattern(app)
    poll_id = make_poll(app)
    ids = store_adversarial(app)
    with app.app_context():
        assert all(enqueue_moderation(comment_id) for comment_id in ids)
    vote(app, poll_id, "warm-up")
    wait_for(lambda: counted(app, poll_id) == 1, 60, "the workers to count a first vote")
    wait_for(lambda: pending(app) < COMMENTS, 60, "moderation to start", step=0.1)
    vote(app, poll_id, "timed")
    started = time.monotonic()
    wait_for(lambda: counted(app, poll_id) == 2, 30, "the vote to be counted", step=0.02)
    elapsed = time.monotonic() - started
    # Still saturated when the vote was counted: the comments were in the way.
    assert pending(app) > 0, "moderation finished first: the load proved nothing"
    return elapsed


@pytest.mark.live
def test_a_vote_is_counted_within_2s_with_a_worker_per_queue(host) -> None:
    host.start_worker("--queue", "counts")
    host.start_worker("--queue", "moderation")
    elapsed = saturate_then_vote(host)
    print(f"\na worker per queue: the vote was counted {elapsed:.2f} s after it was stored")
    assert elapsed < VOTE_COUNTED_WITHIN, host.log("worker.log")[-3000:]


@pytest.mark.live
def test_one_plain_worker_counts_after_at_most_the_job_in_progress(host) -> None:
    host.start_worker()
    elapsed = saturate_then_vote(host)
    print(f"\none plain worker: the vote was counted {elapsed:.2f} s after it was stored")
    assert elapsed < VOTE_COUNTED_WITHIN, host.log("worker.log")[-3000:]


def test_the_worst_moderation_job_of_the_adversarial_set_is_bounded(app) -> None:
    add_worst_pattern(app)
    ids = store_adversarial(app)
    times = []
    with app.app_context():
        for comment_id in ids:
            started = time.perf_counter()
            assert moderate_comment(comment_id) is not None
            times.append(time.perf_counter() - started)
        held = db.session.scalar(
            sa.select(sa.func.count(Comment.id)).where(Comment.status != CommentStatus.APPROVED)
        )
        db.session.remove()
    times.sort()
    print(
        f"\nmoderate_comment on {len(times)} adversarial comments: worst {times[-1] * 1000:.0f} ms,"
        f" median {times[len(times) // 2] * 1000:.0f} ms, total {sum(times):.1f} s"
    )
    # A plain worker's recount waits for at most one of these: even the worst leaves the
    # 2 s bar (docs/automod-quality.md has the figure on a quiet machine).
    assert times[-1] < VOTE_COUNTED_WITHIN
    # They are hostile, and the rules see it: most are held, not published.
    assert held >= COMMENTS // 2
