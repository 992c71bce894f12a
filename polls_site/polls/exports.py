"""CSV exports of a poll's results and ballots, for spreadsheets (UTF-8 with a BOM).

Two formats of the same columns: RFC 4180 (commas, ISO 8601 times in UTC, "1.5"), the
file for scripts; and ``EXCEL_RU``, which Excel in a Russian locale opens by double
click: ``;`` between cells, times in the site's zone as «02.12.2026 14:05:09», decimal
commas, «да»/«нет».

No raw IP address is ever stored, so none can be exported: ballots carry keyed
hashes of the address and of its network, and the voter key is hashed as well
(a cookie id is a pseudonym that a copy of the file should not carry).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo

BOM = "\ufeff"
# A cell starting with one of these is a formula to Excel and LibreOffice.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# The columns, in order. The header line shows them through ``labels`` (the staff's
# language, passed in by the route); the order never changes with the language.
RESULTS_HEADER = ["option_id", "option", "votes", "percent"]
BALLOTS_HEADER = [
    "ballot_id",
    "created_at",
    "voter",
    "has_cookie",
    "ip_hash",
    "network_hash",
    "read_seconds",
    "option_ids",
    "options",
    "voided_at",
    "void_reason",
]


@dataclass(frozen=True)
class CsvFormat:
    """How a file writes its cells; the default is RFC 4180 with ISO 8601 times in UTC."""

    delimiter: str = ","
    zone: tzinfo | None = None  # None: times as stored (UTC), ISO 8601
    decimal_comma: bool = False
    yes: str = "yes"
    no: str = "no"

    def moment(self, value: datetime | None) -> str:
        """A time as this format writes it ("" for none)."""
        if value is None:
            return ""
        if self.zone is None:
            return value.isoformat()
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(self.zone).strftime("%d.%m.%Y %H:%M:%S")

    def fraction(self, value: float | None) -> str:
        """A number with one decimal ("" for none)."""
        if value is None:
            return ""
        text = f"{value:.1f}"
        return text.replace(".", ",") if self.decimal_comma else text


RFC4180 = CsvFormat()
# Excel's list separator in the Russian locale is ";" (the comma is its decimal mark).
EXCEL_RU = CsvFormat(delimiter=";", decimal_comma=True, yes="да", no="нет")


def excel_ru(zone: tzinfo) -> CsvFormat:
    """The Russian Excel format with times in ``zone`` (the site's)."""
    return replace(EXCEL_RU, zone=zone)


@dataclass(frozen=True)
class BallotRow:
    """One ballot as exported."""

    id: int
    created_at: datetime
    voter_key: str
    ip_hash: str | None
    net_hash: str | None
    read_seconds: float | None
    option_ids: Sequence[int]
    voided_at: datetime | None
    void_reason: str | None


def safe_cell(value: object) -> str:
    """The cell text, with a leading quote when a spreadsheet would run it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def voter_pseudonym(voter_key: str, secret: str) -> str:
    """A keyed hash of a voter key: the same voter always has the same pseudonym."""
    return hmac.new(secret.encode(), f"export:{voter_key}".encode(), hashlib.sha256).hexdigest()[
        :16
    ]


def _line(cells: Iterable[object], form: CsvFormat = RFC4180) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=form.delimiter, lineterminator="\r\n")
    writer.writerow([safe_cell(c) for c in cells])
    return out.getvalue()


def _header(columns: list[str], labels: Mapping[str, str] | None, form: CsvFormat) -> str:
    return _line([(labels or {}).get(column, column) for column in columns], form)


def results_csv(
    rows: Iterable[tuple[int, str, int, int | None]],
    labels: Mapping[str, str] | None = None,
    form: CsvFormat = RFC4180,
) -> str:
    """(option id, text, votes, percent) rows as CSV; an empty percent below the minimum.

    ``labels`` names the RESULTS_HEADER columns in the header line (default: the names).
    """
    lines = "".join(_line(row, form) for row in rows)
    return BOM + _header(RESULTS_HEADER, labels, form) + lines


def ballots_csv(
    ballots: Iterable[BallotRow],
    option_texts: dict[int, str],
    secret: str,
    labels: Mapping[str, str] | None = None,
    form: CsvFormat = RFC4180,
) -> Iterator[str]:
    """Ballot rows as CSV lines, header first; options joined by "; " (by option id).

    ``labels`` names the BALLOTS_HEADER columns in the header line (default: the names).
    """
    yield BOM + _header(BALLOTS_HEADER, labels, form)
    for b in ballots:
        chosen = sorted(b.option_ids)
        yield _line(
            [
                b.id,
                form.moment(b.created_at),
                voter_pseudonym(b.voter_key, secret),
                form.no if b.voter_key.startswith("f:") else form.yes,
                b.ip_hash,
                b.net_hash,
                form.fraction(b.read_seconds),
                " ".join(str(o) for o in chosen),
                "; ".join(option_texts.get(o, "") for o in chosen),
                form.moment(b.voided_at),
                b.void_reason,
            ],
            form,
        )
