"""CSV exports: quoting, formulas, BOM, and a round trip against the ballots."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from polls_site.polls.exports import BallotRow, ballots_csv, results_csv, safe_cell


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
