"""Voiding ballots: an editor's correction that never deletes a vote.

A voided ballot keeps its row and its choices; it gets ``voided_at`` and a reason
and the recount leaves it out. The caller audit-logs and asks for the recount.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from ..core.db import db
from ..models import Ballot, utcnow

MAX_REASON = 300


def void_ballots(
    poll_id: int, ballot_ids: Iterable[int], reason: str, now: datetime | None = None
) -> list[int]:
    """Void the given ballots of ``poll_id`` that are not void yet; returns their ids.

    Ids of other polls' ballots are ignored. Adds to the session; the caller commits.
    """
    reason = reason.strip()[:MAX_REASON]
    if not reason:
        raise ValueError("a reason is required to void ballots")
    wanted = sorted(set(ballot_ids))
    if not wanted:
        return []
    ids = list(
        db.session.scalars(
            sa.select(Ballot.id).where(
                Ballot.poll_id == poll_id, Ballot.id.in_(wanted), Ballot.voided_at.is_(None)
            )
        )
    )
    if ids:
        db.session.execute(
            sa.update(Ballot)
            .where(Ballot.id.in_(ids), Ballot.voided_at.is_(None))
            .values(voided_at=now or utcnow(), void_reason=reason)
        )
    return ids
