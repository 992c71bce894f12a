"""The benchmarks' comment threads: the same Russian comments for our app and for Isso.

`comments(count)` makes them (deterministic: the same list every time). Run as a
script with the app's environment, it stores them through the app's models::

    python bench/comment_data.py --key bench-thread --count 200 --extra-threads 19

and prints what it made as JSON (thread keys, comment ids).
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass
from datetime import timedelta

AUTHORS = (
    "Айгуль",
    "Бакыт Асанов",
    "Владимир К.",
    "Гульнара",
    "Данияр из Оша",
    "Елена Петровна",
    "Жаныбек",
    "Игорь",
    "Кайрат",
    "Марина",
    "Нурлан Т.",
    "Ольга С.",
    "Руслан",
    "Светлана",
    "Тимур",
    "читатель",
)
SENTENCES = (
    "Интересно, кто будет платить за всё это в итоге — как обычно, простые люди.",
    "Статья хорошая, но автор забыл упомянуть, что переговоры шли уже третий год.",
    "Я живу в Бишкеке двадцать лет и помню, как обещали то же самое в прошлый раз.",
    "Граница должна быть открыта для торговли, иначе рынок Дордой просто опустеет.",
    "Согласен с предыдущим комментатором, цифры в таблице не сходятся с официальными.",
    "Посмотрите данные Нацстаткома, там всё гораздо интереснее, чем пишут в новостях.",
    "Мой брат работает в Астане, говорит, что цены на бензин выросли почти вдвое.",
    "Без нормальных дорог никакой интеграции не будет, это понятно любому водителю.",
    "Хорошо, что наконец договорились о воде, летом на юге опять будет засуха.",
    "А что думают об этом сами фермеры? Их мнение почему-то никто не спрашивает.",
    "Очень надеюсь, что на этот раз подпишут не только меморандум о намерениях.",
    "Ребята, давайте без оскорблений, тема серьёзная и касается всех нас.",
    "Курс сома опять упал, так что любые соглашения сейчас — это хоть какая-то надежда.",
    "Вспомните 2015 год, тогда тоже говорили, что ЕАЭС решит все проблемы мигрантов.",
    "Спасибо редакции за подробный разбор, редко где такое сейчас прочитаешь.",
    "Транзит через Казахстан для нас жизненно важен, тут спорить не о чем.",
    "Почему в статье нет ни слова о таможенных очередях на Кордае? Стоим по шесть часов.",
    "Лично я жду конкретики: сроки, суммы, кто отвечает за исполнение.",
)
LINKS = (
    "https://stat.gov.kg/ru/statistics/vneshneekonomicheskaya-deyatelnost/",
    "https://www.nbkr.kg/index1.jsp?item=1562&lang=RUS",
    "https://eec.eaeunion.org/news/",
    "https://ru.wikipedia.org/wiki/Евразийский_экономический_союз",
    "http://www.customs.gov.kg/",
)


@dataclass(frozen=True)
class SeedComment:
    """One comment to store: its author, text, parent (index into the list) and age."""

    author: str
    text: str
    parent: int | None
    minutes_ago: int


def comments(count: int, seed: int = 4) -> list[SeedComment]:
    """``count`` comments, oldest first: a third of them replies, one in six with a link."""
    rng = random.Random(seed)
    made: list[SeedComment] = []
    for i in range(count):
        paragraphs = []
        for _ in range(rng.choice((1, 1, 2, 3))):
            paragraphs.append(" ".join(rng.sample(SENTENCES, rng.randint(1, 3))))
        if rng.random() < 1 / 6:
            paragraphs.append(f"Источник: {rng.choice(LINKS)}")
        parent = rng.randrange(i) if i > 3 and rng.random() < 1 / 3 else None
        made.append(
            SeedComment(
                author=rng.choice(AUTHORS),
                text="\n\n".join(paragraphs),
                parent=parent,
                minutes_ago=(count - i) * 7,
            )
        )
    return made


def extra_keys(count: int) -> list[str]:
    """Keys of the small threads the counts API is asked about besides the big one."""
    return [f"news/2026/11/{25 - i % 20}/article-{i}" for i in range(count)]


def seed_thread(key: str, title: str, items: list[SeedComment]) -> list[int]:
    """Store a thread with ``items`` as approved comments (rendered once, like a real post)."""
    from polls_site.comments.render import render_comment_html
    from polls_site.core.db import db
    from polls_site.models import Comment, CommentStatus, Thread, utcnow

    now = utcnow()
    thread = Thread(key=key, title=title, url=f"http://127.0.0.1:8001/{key}")
    db.session.add(thread)
    db.session.flush()
    ids: list[int] = []
    for i, item in enumerate(items):
        created = now - timedelta(minutes=item.minutes_ago)
        comment = Comment(
            thread_id=thread.id,
            parent_id=ids[item.parent] if item.parent is not None else None,
            author_name=item.author,
            text=item.text,
            html=render_comment_html(item.text),
            status=CommentStatus.APPROVED,
            voter_key=f"bench:commenter:{i % 50}",
            ip_hash="bench",
            score=0,
            reasons=[],
            likes=i % 7,
            created_at=created,
            moderated_at=created + timedelta(seconds=2),
        )
        db.session.add(comment)
        db.session.flush()
        ids.append(comment.id)
    thread.comment_count = len(items)
    db.session.commit()
    return ids


def main(argv: list[str] | None = None) -> int:
    """Seed the big thread and the small ones into the app's database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--key", required=True)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--extra-threads", type=int, default=0)
    args = parser.parse_args(argv)

    from polls_site import create_app

    app = create_app()
    with app.app_context():
        ids = seed_thread(args.key, "Бишкек и Астана: диалог", comments(args.count))
        for n, key in enumerate(extra_keys(args.extra_threads)):
            seed_thread(key, f"Новость {n}", comments(n % 6, seed=n))
    print(json.dumps({"key": args.key, "ids": ids}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
