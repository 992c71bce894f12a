"""Demo data: the portal's poll as real ballots, plus two older closed polls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from .extensions import db
from .models import Ballot, BallotChoice, Option, Poll, PollStatus
from .tasks import compute_snapshot, publish_version
from .voters import ip_hash

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


def seed_demo() -> list[Poll]:
    """Create the demo polls and their ballots; polls that already exist are left alone."""
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
    return created
