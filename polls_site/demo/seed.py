"""Demo data: the portal's poll as real ballots, two older closed polls, and the comment
thread of the article the portal page shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from ..comments.render import render_comment_html
from ..core.clients import ip_hash
from ..core.db import db
from ..models import (
    Ballot,
    BallotChoice,
    Comment,
    CommentLike,
    CommentStatus,
    Option,
    Poll,
    PollStatus,
    Thread,
    utcnow,
)
from ..polls.recount import compute_snapshot
from ..polls.versions import publish_version

# (question, status, opened, closed, [(option text, votes), ...] in the editors' order)
DEMO_POLLS = [
    (
        "Как вы относитесь к вступлению Таджикистана в ЕАЭС?",
        PollStatus.OPEN,
        datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
        None,
        [
            (
                "Вступление в ЕАЭС - единственный выход из кризиса и долговой ямы Китая "
                "для Таджикистана",
                462,
            ),
            ("Мне это безразлично", 343),
            (
                "Негативно - мигрантов из Таджикистана в России прибавится, ни к чему "
                "хорошему это не приведет",
                194,
            ),
            ("Таджикистан без особых экономических потерь объединится с членами ЕАЭС", 179),
            ("Отрицательно, Таджикистан должен идти своим путем", 179),
            ("Таджикистан не вступит в объединение из-за смены власти и курса страны", 135),
        ],
    ),
    (
        "Поддерживаете ли вы переход казахского алфавита на латиницу?",
        PollStatus.CLOSED,
        datetime(2026, 6, 1, 9, 0, tzinfo=UTC),
        datetime(2026, 7, 1, 9, 0, tzinfo=UTC),
        [
            ("Да, это нужно было сделать давно", 388),
            ("Нет, кириллица удобнее", 512),
            ("Не имеет значения", 97),
        ],
    ),
    (
        "Как часто вы пользуетесь железной дорогой между странами Центральной Азии?",
        PollStatus.CLOSED,
        datetime(2026, 3, 10, 9, 0, tzinfo=UTC),
        datetime(2026, 4, 10, 9, 0, tzinfo=UTC),
        [
            ("Несколько раз в год", 141),
            ("Раз в год или реже", 203),
            ("Никогда", 266),
            ("Каждый месяц", 38),
        ],
    ),
]


DEMO_THREAD_KEY = "bishkek-astana-dialog"
DEMO_THREAD_TITLE = "Бишкек – Астана: стратегический диалог переходит в практическую плоскость"

# (name, text, status, parent index or None, likes, hours ago, auto-moderator's reasons)
DEMO_COMMENTS: list[tuple[str, str, CommentStatus, int | None, int, float, list[dict]]] = [
    (
        "Нурлан",
        "Интересно, какие именно проекты войдут в «практическую плоскость»? "
        "Хотелось бы конкретики: сроки, суммы, кто отвечает.",
        CommentStatus.APPROVED,
        None,
        7,
        50,
        [],
    ),
    (
        "Азамат",
        "Давно пора было наладить нормальный диалог.\n\n"
        "Торговля между нашими странами от этого только выиграет.",
        CommentStatus.APPROVED,
        None,
        12,
        26,
        [],
    ),
    (
        "Гульнара",
        "Согласна, особенно по транзиту грузов через Казахстан.",
        CommentStatus.APPROVED,
        1,
        4,
        20,
        [],
    ),
    (
        "Ерлан",
        "А как быть с очередями на границе? Их обещают сократить уже несколько лет.",
        CommentStatus.APPROVED,
        2,
        2,
        3,
        [],
    ),
    (
        "Гость",
        "Опять эти дураки у власти ничего не сделают.",
        CommentStatus.REVIEW,
        None,
        0,
        1,
        [{"rule": "suspect_word", "score": 40, "detail": "дураки", "spans": [[10, 16]]}],
    ),
    (
        "Заработок",
        "Заработок от 5000 в день в 1xbet! Пиши в личку.",
        CommentStatus.REJECTED,
        None,
        0,
        0.5,
        [{"rule": "banned_word", "score": 100, "detail": "1xbet", "spans": [[27, 32]]}],
    ),
]


def seed_demo_thread() -> Thread | None:
    """Create the article's comment thread with comments in several states (once)."""
    if db.session.scalar(sa.select(Thread.id).where(Thread.key == DEMO_THREAD_KEY)) is not None:
        return None
    now = utcnow()
    thread = Thread(key=DEMO_THREAD_KEY, title=DEMO_THREAD_TITLE, url="")
    db.session.add(thread)
    db.session.flush()
    demo_ip = ip_hash("demo")
    comments: list[Comment] = []
    for i, (name, text, status, parent, likes, hours_ago, reasons) in enumerate(DEMO_COMMENTS):
        created = now - timedelta(hours=hours_ago)
        comment = Comment(
            thread_id=thread.id,
            parent_id=comments[parent].id if parent is not None else None,
            author_name=name,
            text=text,
            html=render_comment_html(text),
            status=status,
            voter_key=f"demo:commenter:{i}",
            ip_hash=demo_ip,
            score=sum(r["score"] for r in reasons),
            reasons=reasons,
            likes=likes,
            created_at=created,
            moderated_at=created + timedelta(seconds=2),
        )
        db.session.add(comment)
        db.session.flush()
        db.session.add_all(
            CommentLike(comment_id=comment.id, voter_key=f"demo:reader:{n}", created_at=created)
            for n in range(likes)
        )
        comments.append(comment)
    thread.comment_count = sum(c.status == CommentStatus.APPROVED for c in comments)
    db.session.commit()
    return thread


def seed_demo() -> list[Poll]:
    """Create the demo polls, their ballots and the comment thread; what exists is left alone."""
    created = []
    for question, status, opened, closed, options in DEMO_POLLS:
        existing = db.session.scalar(sa.select(Poll).where(Poll.question == question))
        if existing is not None:
            continue
        poll = Poll(
            question=question,
            status=status,
            opens_at=opened,
            closes_at=closed,
            created_at=opened,
            # The portal's sidebar shows the open poll: data-poll="current" finds it.
            current_section="main" if status == PollStatus.OPEN else None,
        )
        poll.options = [
            Option(text=text, position=position) for position, (text, _votes) in enumerate(options)
        ]
        db.session.add(poll)
        db.session.flush()
        demo_ip = ip_hash("demo")
        voter = 0
        for option, (_text, votes) in zip(poll.options, options, strict=True):
            for _ in range(votes):
                voter += 1
                ballot = Ballot(
                    poll_id=poll.id,
                    voter_key=f"demo:{voter}",
                    ip_hash=demo_ip,
                    created_at=opened + timedelta(minutes=7 * voter),
                )
                ballot.choices = [BallotChoice(option_id=option.id, poll_id=poll.id)]
                db.session.add(ballot)
        db.session.commit()
        created.append(poll)
    for poll in db.session.scalars(sa.select(Poll)):
        snapshot = compute_snapshot(poll.id)
        if snapshot is not None:
            publish_version(poll.id, snapshot.version)
    seed_demo_thread()
    return created
