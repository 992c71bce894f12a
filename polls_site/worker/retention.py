"""The retention purge: IP hashes and user agents older than RETENTION_DAYS are cleared."""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from ..core.db import db
from ..core.metrics import timed_job
from ..models import Ballot, Comment, utcnow

log = logging.getLogger(__name__)


def purge_expired_ip_hashes() -> int:
    """RQ job: clear the IP hashes of ballots, and the IP hashes and user agents of comments,
    older than RETENTION_DAYS; returns how many rows it cleared."""
    with timed_job("purge_expired_ip_hashes"):
        cutoff = utcnow() - timedelta(days=current_app.config["RETENTION_DAYS"])
        try:
            ballots = db.session.execute(
                sa.update(Ballot)
                .where(
                    Ballot.created_at < cutoff,
                    sa.or_(Ballot.ip_hash.is_not(None), Ballot.net_hash.is_not(None)),
                )
                .values(ip_hash=None, net_hash=None)
            ).rowcount
            # A bulk UPDATE leaves Comment.revision alone: a moderator's decision on the
            # same comment is not refused because its IP hash was purged meanwhile.
            comments = db.session.execute(
                sa.update(Comment)
                .where(
                    Comment.created_at < cutoff,
                    sa.or_(Comment.ip_hash.is_not(None), Comment.user_agent.is_not(None)),
                )
                .values(ip_hash=None, user_agent=None)
                .execution_options(synchronize_session=False)
            ).rowcount
            db.session.commit()
        finally:
            db.session.remove()
        log.info("expired ip hashes cleared", extra={"ballots": ballots, "comments": comments})
        return ballots + comments
