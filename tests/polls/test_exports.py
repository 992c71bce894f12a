"""CSV exports: quoting, formulas, BOM, and a round trip against the ballots."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from polls_site.polls.exports import (
    BallotRow,
    ballots_csv,
    excel_ru,
    results_csv,
    safe_cell,
    voter_pseudonym,
)


def parse(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def test_results_csv_quotes_commas_quotes_and_newlines() -> None:
    text = results_csv([(1, 'Да, "конечно"', 3, 75), (2, "Нет\nи всё", 1, 25), (3, "x", 0, None)])
    rows = parse(text)
    assert rows[0] == ["option_id", "option", "votes", "percent"]
    assert rows[1] == ["1", 'Да, "конечно"', "3", "75"]
    assert rows[2] == ["2", "Нет\nи всё", "1", "25"]
    assert rows[3] == ["3", "x", "0", ""]
    assert text.count("\r\n") == 4 + 0  # each record ends with CRLF (the newline is quoted)


def test_formulas_are_defused() -> None:
    assert safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert safe_cell("-5 минут") == "'-5 минут"
    assert safe_cell("Негативно - да") == "Негативно - да"
    assert safe_cell(None) == ""


def test_ballots_csv_has_no_raw_voter_key() -> None:
    at = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    rows = [
        BallotRow(1, at, "c:secret-cookie", "iphash", "nethash", 3.25, [2, 1], None, None),
        BallotRow(2, at, "f:fp", None, None, None, [3], at, "всплеск, ночью"),
    ]
    text = "".join(ballots_csv(rows, {1: "A", 2: "B", 3: "C"}, "k"))
    assert "secret-cookie" not in text
    parsed = parse(text)
    assert parsed[1][3:9] == ["yes", "iphash", "nethash", "3.2", "1 2", "A; B"]
    assert parsed[2][3] == "no" and parsed[2][10] == "всплеск, ночью"
    assert parsed[1][2] != parsed[2][2] and len(parsed[1][2]) == 16


def test_the_rfc_4180_file_stays_byte_for_byte() -> None:
    at = datetime(2026, 11, 2, 9, 0, 5, tzinfo=UTC)
    row = BallotRow(7, at, "c:k", "ip", "net", 3.25, [1], at, "причина")
    assert "".join(ballots_csv([row], {1: "Да, конечно"}, "k")) == (
        "\ufeffballot_id,created_at,voter,has_cookie,ip_hash,network_hash,read_seconds,"
        "option_ids,options,voided_at,void_reason\r\n"
        f"7,2026-11-02T09:00:05+00:00,{voter_pseudonym('c:k', 'k')},yes,ip,net,3.2,1,"
        '"Да, конечно",2026-11-02T09:00:05+00:00,причина\r\n'
    )


def test_the_russian_excel_file_uses_semicolons_local_times_and_decimal_commas() -> None:
    almaty = ZoneInfo("Asia/Almaty")
    form = excel_ru(almaty)
    at = datetime(2026, 11, 2, 21, 30, 5, tzinfo=UTC)  # already the 3rd in Almaty
    rows = [
        BallotRow(1, at, "c:k", "ip", "net", 3.25, [2, 1], None, None),
        BallotRow(2, at, "f:fp", None, None, None, [3], at, "всплеск; ночью"),
    ]
    text = "".join(ballots_csv(rows, {1: "A", 2: "B", 3: "C"}, "k", {"ballot_id": "id"}, form))
    assert text.startswith("\ufeffid;created_at;")
    parsed = list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=";"))
    assert parsed[1][1] == "03.11.2026 02:30:05"
    assert parsed[1][3] == "да" and parsed[1][6] == "3,2" and parsed[1][8] == "A; B"
    assert parsed[2][3] == "нет" and parsed[2][6] == "" and parsed[2][9] == "03.11.2026 02:30:05"
    assert parsed[2][10] == "всплеск; ночью"  # quoted: the delimiter is in the text
    results = results_csv([(1, "Да; нет", 3, 75), (2, "x", 1, None)], None, form)
    assert results.splitlines()[1:] == ['1;"Да; нет";3;75', "2;x;1;"]
