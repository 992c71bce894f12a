"""Editors' results pages: analytics with its chart, voiding by flag or by pick, CSV exports."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import force_locale

from polls_site.core.db import db
from polls_site.models import AuditEntry, Ballot, ResultSnapshot, utcnow
from polls_site.polls.exports import BALLOTS_HEADER, RESULTS_HEADER
from polls_site.polls.recount import compute_snapshot
from polls_site.staff.poll_editor.results import csv_labels
from tests.support.app import drain_queue
from tests.support.factories import add_ballots, make_poll, option_ids
from tests.support.polls import Voting


def add_specs(app, poll_id, specs) -> list[int]:
    """Ballots from specs (option, minutes ago, voter key, network hash, read seconds), each
    with the address hash ``ip-<voter key>``; recounted at once."""
    now = utcnow()
    ids = add_ballots(
        app,
        poll_id,
        [option for option, *_ in specs],
        voters=[key for _, _, key, _, _ in specs],
        ip_hash=[f"ip-{key}" for _, _, key, _, _ in specs],
        net_hash=[net for *_, net, _ in specs],
        read_seconds=[read for *_, read in specs],
        created_at=[now - timedelta(minutes=ago) for _, ago, *_ in specs],
    )
    with app.app_context():
        compute_snapshot(poll_id)
    return ids


def snapshot_votes(app, poll_id) -> dict[int, int]:
    with app.app_context():
        snapshot = db.session.get(ResultSnapshot, poll_id, populate_existing=True)
        result = {r["option_id"]: r["votes"] for r in snapshot.rows}
        db.session.remove()
        return result


def test_analytics_page_charts_every_hour(app, editor, poll_id) -> None:
    a, b, _c = option_ids(app, poll_id)
    add_specs(
        app,
        poll_id,
        [(a, 180, "c:1", "n1", 30.0), (a, 180, "c:2", "n2", 30.0), (b, 5, "c:3", "n3", 30.0)],
    )
    html = editor.get(f"/staff/polls/{poll_id}/analytics").get_data(as_text=True)
    votes_svg = html[html.index("<svg") : html.index("</svg>")]
    values = [int(v) for v in re.findall(r'class="point[^"]*"[^>]*data-value="(\d+)"', votes_svg)]
    # Three or four hourly buckets (depending on the minute now), the totals in them.
    assert sum(values) == 3 and values[0] == 2 and values[-1] == 1 and len(values) in (3, 4)
    assert "style=" not in html
    day = editor.get(f"/staff/polls/{poll_id}/analytics?unit=day").get_data(as_text=True)
    assert "<svg" in day


def test_voiding_a_flag_changes_the_results_exactly(app, editor, poll_id) -> None:
    a, b, _c = option_ids(app, poll_id)
    burst = [(a, 1, f"c:burst{i}", "hot", 30.0) for i in range(25)]
    people = [(b, 60 + i, f"c:p{i}", f"n{i}", 40.0) for i in range(10)]
    add_specs(app, poll_id, burst + people)
    assert snapshot_votes(app, poll_id)[a] == 25
    page = editor.get(f"/staff/polls/{poll_id}/analytics").get_data(as_text=True)
    assert "Всплески из одной сети: 25 голосов" in page
    reply = editor.post(
        f"/staff/polls/{poll_id}/void", {"flag": "network_burst", "reason": "накрутка"}
    )
    assert reply.status_code == 303
    drain_queue(app)
    assert snapshot_votes(app, poll_id) == {b: 10, a: 0, _c: 0}
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Ballot)) == 35
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "ballots.void"))
        assert entry.reason == "накрутка" and len(entry.after["ballots"]) == 25
    # The public method card says so once the poll is closed.


def test_voiding_picked_ballots_needs_a_reason(app, editor, poll_id) -> None:
    a, _b, _c = option_ids(app, poll_id)
    ids = add_specs(app, poll_id, [(a, 1, f"c:{i}", f"n{i}", 30.0) for i in range(3)])
    refused = editor.post(f"/staff/polls/{poll_id}/void", {"ballot": [str(ids[0])], "reason": ""})
    assert refused.status_code == 303
    drain_queue(app)
    assert snapshot_votes(app, poll_id)[a] == 3
    editor.post(
        f"/staff/polls/{poll_id}/void", {"ballot": [str(i) for i in ids[:2]], "reason": "дубли"}
    )
    # Voiding again is a no-op: nothing is voided twice.
    editor.post(f"/staff/polls/{poll_id}/void", {"ballot": [str(ids[0])], "reason": "ещё раз"})
    drain_queue(app)
    assert snapshot_votes(app, poll_id)[a] == 1
    with app.app_context():
        reasons = db.session.scalars(sa.select(Ballot.void_reason).order_by(Ballot.id)).all()
    assert reasons == ["дубли", "дубли", None]


def parse_csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    header, *rows = list(csv.reader(io.StringIO(text[1:], newline="")))
    # The header is in Russian, the columns in the format's order.
    columns = RESULTS_HEADER if len(header) == len(RESULTS_HEADER) else BALLOTS_HEADER
    assert header == [RUSSIAN_HEADERS[column] for column in columns]
    return [dict(zip(columns, row, strict=True)) for row in rows]


RUSSIAN_HEADERS = {
    "option_id": "id варианта",
    "option": "вариант",
    "votes": "голоса",
    "percent": "процент",
    "ballot_id": "id бюллетеня",
    "created_at": "время голоса",
    "voter": "избиратель (псевдоним)",
    "has_cookie": "есть cookie",
    "ip_hash": "Хеш IP",
    "network_hash": "хеш сети",
    "read_seconds": "секунд на чтение",
    "option_ids": "id вариантов",
    "options": "варианты",
    "voided_at": "аннулирован",
    "void_reason": "причина аннулирования",
}


def test_csv_headers_follow_the_staff_language(app, editor, poll_id) -> None:
    with app.test_request_context(), force_locale("en"):
        english = csv_labels()
    assert set(english) == set(RUSSIAN_HEADERS) == {*RESULTS_HEADER, *BALLOTS_HEADER}
    assert english["option_id"] == "option id" and english["voided_at"] == "voided at"
    parse_csv(editor.get(f"/staff/polls/{poll_id}/results.csv"))  # Russian, in order


def test_ballots_csv_round_trips_against_the_ballots(app, editor, client) -> None:
    poll_id = make_poll(
        app, options=['Да, "конечно"', "Нет;\nникогда", "=1+1"], multiple=True, max_choices=2
    )
    a, b, c = option_ids(app, poll_id)
    for choice in ([a], [a, b], [c]):
        assert Voting(app.test_client()).vote(poll_id, *choice).status_code == 200
    rows = parse_csv(editor.get(f"/staff/polls/{poll_id}/ballots.csv"))
    with app.app_context():
        ballots = db.session.scalars(sa.select(Ballot).order_by(Ballot.id)).all()
        expected = [
            (
                str(x.id),
                x.ip_hash,
                x.net_hash,
                " ".join(
                    str(ch.option_id) for ch in sorted(x.choices, key=lambda ch: ch.option_id)
                ),
            )
            for x in ballots
        ]
    assert [
        (r["ballot_id"], r["ip_hash"], r["network_hash"], r["option_ids"]) for r in rows
    ] == expected
    assert rows[1]["options"] == 'Да, "конечно"; Нет;\nникогда'
    assert rows[2]["options"] == "'=1+1"  # not a formula in a spreadsheet
    assert all(r["has_cookie"] == "yes" for r in rows)
    body = editor.get(f"/staff/polls/{poll_id}/ballots.csv").get_data(as_text=True)
    assert "127.0.0.1" not in body and "c:" not in body


def test_results_csv_matches_the_snapshot(app, editor, poll_id) -> None:
    a, b, c = option_ids(app, poll_id)
    add_specs(
        app, poll_id, [(a, 1, "c:1", "n", 5.0), (a, 1, "c:2", "n", 5.0), (b, 1, "c:3", "n", 5.0)]
    )
    rows = parse_csv(editor.get(f"/staff/polls/{poll_id}/results.csv"))
    assert [(int(r["option_id"]), r["option"], int(r["votes"]), r["percent"]) for r in rows] == [
        (a, "Да", 2, "67"),
        (b, "Нет", 1, "33"),
        (c, "Не знаю", 0, "0"),
    ]


def test_excel_exports_are_semicolon_russian_and_local(app, editor, poll_id) -> None:
    a, b, _c = option_ids(app, poll_id)
    add_specs(app, poll_id, [(a, 1, "c:1", "n", 5.25), (b, 1, "c:2", "n", 4.0)])
    with app.app_context():
        cast = db.session.scalars(sa.select(Ballot.created_at).order_by(Ballot.id)).first()
    page = editor.get(f"/staff/polls/{poll_id}/analytics").get_data(as_text=True)
    for name in ("results", "ballots"):
        assert f'href="/staff/polls/{poll_id}/{name}.csv"' in page  # the RFC 4180 file stays
        assert f'href="/staff/polls/{poll_id}/{name}-excel.csv"' in page
    # Asked for in English, the file for Russian Excel still speaks Russian.
    reply = editor.get(f"/staff/polls/{poll_id}/ballots-excel.csv?lang=en")
    assert reply.status_code == 200 and reply.mimetype == "text/csv"
    text = reply.get_data(as_text=True)
    assert text.startswith("\ufeff")
    header, first, _second = csv.reader(io.StringIO(text[1:], newline=""), delimiter=";")
    assert header == [RUSSIAN_HEADERS[column] for column in BALLOTS_HEADER]
    local = cast.astimezone(ZoneInfo("Asia/Almaty")).strftime("%d.%m.%Y %H:%M:%S")
    assert first[1] == local and first[3] == "да" and first[6] == "5,2"
    results = editor.get(f"/staff/polls/{poll_id}/results-excel.csv").get_data(as_text=True)
    assert results.splitlines()[0] == "\ufeff" + ";".join(
        RUSSIAN_HEADERS[column] for column in RESULTS_HEADER
    )


def test_moderators_cannot_export(app, moderator, poll_id) -> None:
    assert moderator.get(f"/staff/polls/{poll_id}/ballots.csv").status_code == 403
    assert moderator.get(f"/staff/polls/{poll_id}/results.csv").status_code == 403
    assert moderator.get(f"/staff/polls/{poll_id}/ballots-excel.csv").status_code == 403
