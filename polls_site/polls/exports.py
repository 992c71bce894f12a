"""CSV exports of a poll's results and ballots, for spreadsheets (UTF-8 with a BOM).

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
from dataclasses import dataclass
from datetime import datetime

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


def _line(cells: Iterable[object]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([safe_cell(c) for c in cells])
    return out.getvalue()


def _header(columns: list[str], labels: Mapping[str, str] | None) -> str:
    return _line([(labels or {}).get(column, column) for column in columns])


def results_csv(
    rows: Iterable[tuple[int, str, int, int | None]], labels: Mapping[str, str] | None = None
) -> str:
    """(option id, text, votes, percent) rows as CSV; an empty percent below the minimum.

    ``labels`` names the RESULTS_HEADER columns in the header line (default: the names).
    """
    return BOM + _header(RESULTS_HEADER, labels) + "".join(_line(row) for row in rows)


def ballots_csv(
    ballots: Iterable[BallotRow],
    option_texts: dict[int, str],
    secret: str,
    labels: Mapping[str, str] | None = None,
) -> Iterator[str]:
    """Ballot rows as CSV lines, header first; options joined by "; " (by option id).

    ``labels`` names the BALLOTS_HEADER columns in the header line (default: the names).
    """
    yield BOM + _header(BALLOTS_HEADER, labels)
    for b in ballots:
        chosen = sorted(b.option_ids)
        yield _line(
            [
                b.id,
                b.created_at.isoformat(),
                voter_pseudonym(b.voter_key, secret),
                "no" if b.voter_key.startswith("f:") else "yes",
                b.ip_hash,
                b.net_hash,
                "" if b.read_seconds is None else f"{b.read_seconds:.1f}",
                " ".join(str(o) for o in chosen),
                "; ".join(option_texts.get(o, "") for o in chosen),
                b.voided_at.isoformat() if b.voided_at else "",
                b.void_reason,
            ]
        )
