"""The hottest write of the site: a new ballot and its choices, stored at once.

No ORM session and no unit of work: statements built once per process and run on a
pooled connection. On PostgreSQL the ballot and its choices are one statement (a
data-modifying CTE) in autocommit, so the ballot is committed by one round trip after
the pool's ping, instead of BEGIN, two INSERTs and COMMIT. SQLite has no
data-modifying CTE: there the two INSERTs share one transaction, which costs no
round trip. Either way a ballot is all there or not there at all.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from ..core.db import db
from ..models import Ballot, BallotChoice
from ..models.base import UTCDateTime

_BALLOT_COLUMNS = "poll_id, voter_key, ip_hash, net_hash, read_seconds, created_at, revision"
_BALLOT_VALUES = ":poll_id, :voter_key, :ip_hash, :net_hash, :read_seconds, :created_at, 0"

_POSTGRESQL = sa.text(
    f"WITH ballot AS (INSERT INTO ballots ({_BALLOT_COLUMNS}) VALUES ({_BALLOT_VALUES}) "
    "RETURNING id) "
    "INSERT INTO ballot_choices (ballot_id, option_id, poll_id) "
    "SELECT ballot.id, chosen.option_id, :poll_id "
    "FROM ballot, unnest(CAST(:options AS INTEGER[])) AS chosen(option_id) "
    "RETURNING ballot_id"
).bindparams(
    sa.bindparam("created_at", type_=UTCDateTime()),
    sa.bindparam("options", type_=ARRAY(sa.Integer)),
)

_BALLOT = (
    sa.insert(Ballot.__table__)
    .values(
        poll_id=sa.bindparam("poll_id"),
        voter_key=sa.bindparam("voter_key"),
        ip_hash=sa.bindparam("ip_hash"),
        net_hash=sa.bindparam("net_hash"),
        read_seconds=sa.bindparam("read_seconds"),
        created_at=sa.bindparam("created_at"),
    )
    .returning(Ballot.__table__.c.id)
)
_CHOICE = sa.insert(BallotChoice.__table__)


def store_ballot(
    *,
    poll_id: int,
    voter_key: str,
    ip_hash: str,
    net_hash: str,
    read_seconds: float | None,
    created_at: datetime,
    options: list[int],
) -> int:
    """Insert and commit one ballot marking ``options``; its id.

    Raises IntegrityError when the voter already has a ballot in the poll (nothing is
    written), and other SQLAlchemyErrors when the database fails (nothing is written).
    """
    if not options:
        raise ValueError("a ballot marks at least one option")
    ballot = {
        "poll_id": poll_id,
        "voter_key": voter_key,
        "ip_hash": ip_hash,
        "net_hash": net_hash,
        "read_seconds": read_seconds,
        "created_at": created_at,
    }
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # One row per choice, each naming the ballot.
            return conn.execute(_POSTGRESQL, {**ballot, "options": options}).scalars().all()[0]
    with engine.begin() as conn:
        ballot_id = conn.execute(_BALLOT, ballot).scalar_one()
        conn.execute(
            _CHOICE,
            [{"ballot_id": ballot_id, "option_id": o, "poll_id": poll_id} for o in options],
        )
    return ballot_id
