"""Reader reports («Пожаловаться»): one per reader per comment; enough independent weight
hides an approved comment until a moderator decides, and the decision weighs the reporters.

The rules (README "Reader reports"):
- reports are *independent* when they come from distinct readers (the unique key makes a
  reader's second report impossible) on at least two networks (/24 or /64);
- a reporter weighs ``1 + upheld / (upheld + rejected + 2)``: 1 for a newcomer, never
  below 1 and always under 2, growing as moderators uphold their reports;
- an approved comment goes back to review when its open reports are independent and
  their weights add up to REPORT_THRESHOLD.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from ..core.db import db
from ..models import Comment, CommentReport, CommentStatus
from .status import change_status, thread_changed
from .threads import ThreadInfo

# The reasons a reader picks from, in the form's order.
REASONS = {
    "spam": _l("Spam"),
    "abuse": _l("Insult"),
    "hate": _l("Incitement to hatred"),
    "offtopic": _l("Off topic"),
    "other": _l("Other"),
}
UPHELD, REJECTED = "upheld", "rejected"
# What a moderator's decision says about the open reports: taking the comment down upholds
# them, keeping it (approve, restore) rejects them.
REPORT_OUTCOMES = {
    CommentStatus.REJECTED: UPHELD,
    CommentStatus.SPAM: UPHELD,
    CommentStatus.HIDDEN: UPHELD,
    CommentStatus.APPROVED: REJECTED,
}


def reporter_weight(upheld: int, rejected: int) -> float:
    """How much one reader's report counts, from their past reports' outcomes."""
    return 1 + max(upheld, 0) / (max(upheld, 0) + max(rejected, 0) + 2)


@dataclass(frozen=True)
class OpenReport:
    """An undecided report as the threshold sees it."""

    voter_key: str
    network: str
    weight: float


def reaches_threshold(reports: Iterable[OpenReport], threshold: float) -> bool:
    """True when the reports are independent (distinct readers on two networks or more)
    and their weights add up to ``threshold``."""
    by_reader: dict[str, OpenReport] = {}
    for report in reports:
        by_reader.setdefault(report.voter_key, report)
    networks = {r.network for r in by_reader.values()}
    return len(networks) >= 2 and sum(r.weight for r in by_reader.values()) >= threshold


def _weights(voter_keys: set[str]) -> dict[str, float]:
    if not voter_keys:
        return {}
    rows = db.session.execute(
        sa.select(CommentReport.voter_key, CommentReport.outcome, sa.func.count())
        .where(CommentReport.voter_key.in_(voter_keys), CommentReport.outcome.is_not(None))
        .group_by(CommentReport.voter_key, CommentReport.outcome)
    )
    tally: dict[str, dict[str, int]] = {}
    for key, outcome, count in rows:
        tally.setdefault(key, {})[outcome] = count
    return {
        key: reporter_weight(tally.get(key, {}).get(UPHELD, 0), tally.get(key, {}).get(REJECTED, 0))
        for key in voter_keys
    }


def open_reports(comment_id: int) -> list[OpenReport]:
    """The comment's undecided reports, each with its reporter's weight."""
    rows = db.session.execute(
        sa.select(CommentReport.voter_key, CommentReport.network).where(
            CommentReport.comment_id == comment_id, CommentReport.outcome.is_(None)
        )
    ).all()
    weights = _weights({key for key, _network in rows})
    return [OpenReport(key, network, weights[key]) for key, network in rows]


def file_report(
    comment: Comment, thread: ThreadInfo, voter_key: str, network: str, reason: str, text: str
) -> bool:
    """Store one reader's report; False when this reader has already reported the comment.

    The report that makes the threshold sends the comment back to review in the same
    transaction, so counts and feeds follow at once.
    """
    db.session.add(
        CommentReport(
            comment_id=comment.id, voter_key=voter_key, network=network, reason=reason, text=text
        )
    )
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return False
    hidden = comment.status == CommentStatus.APPROVED and reaches_threshold(
        open_reports(comment.id), current_app.config["REPORT_THRESHOLD"]
    )
    if hidden:
        change_status(comment, CommentStatus.REVIEW)
    db.session.commit()
    if hidden:
        thread_changed(thread.id, thread.key)
    return True


def settle_reports(comment_id: int, status: CommentStatus) -> int:
    """In a moderator's decision: mark the comment's open reports upheld or rejected by
    the status it now has; returns how many (the caller commits and audits)."""
    outcome = REPORT_OUTCOMES.get(status)
    if outcome is None:
        return 0
    result = db.session.execute(
        sa.update(CommentReport)
        .where(CommentReport.comment_id == comment_id, CommentReport.outcome.is_(None))
        .values(outcome=outcome)
    )
    return result.rowcount or 0


def open_report_reasons(comment_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Each comment's undecided reports counted by reason (comments without any left out):
    the queue says why a reported comment is back in review."""
    ids = set(comment_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(CommentReport.comment_id, CommentReport.reason, sa.func.count())
        .where(CommentReport.comment_id.in_(ids), CommentReport.outcome.is_(None))
        .group_by(CommentReport.comment_id, CommentReport.reason)
        .order_by(CommentReport.comment_id, CommentReport.reason)
    )
    tally: dict[int, dict[str, int]] = {}
    for comment_id, reason, count in rows:
        tally.setdefault(comment_id, {})[reason] = count
    return tally


@dataclass
class ReportSummary:
    """A reported comment in the staff's «Жалобы» tab."""

    comment: Comment
    count: int
    reasons: dict[str, int]
    texts: list[str]


def reported_comments(limit: int = 100) -> list[ReportSummary]:
    """Comments with open reports, most reported first, with reason counts and texts."""
    counts = (
        sa.select(CommentReport.comment_id, sa.func.count().label("n"))
        .where(CommentReport.outcome.is_(None))
        .group_by(CommentReport.comment_id)
        .order_by(sa.desc("n"), CommentReport.comment_id)
        .limit(limit)
    )
    ranked = db.session.execute(counts).all()
    ids = [comment_id for comment_id, _n in ranked]
    if not ids:
        return []
    comments = {c.id: c for c in db.session.scalars(sa.select(Comment).where(Comment.id.in_(ids)))}
    summaries = {i: ReportSummary(comments[i], n, {}, []) for i, n in ranked}
    reports = db.session.scalars(
        sa.select(CommentReport)
        .where(CommentReport.comment_id.in_(ids), CommentReport.outcome.is_(None))
        .order_by(CommentReport.id)
    )
    for report in reports:
        summary = summaries[report.comment_id]
        summary.reasons[report.reason] = summary.reasons.get(report.reason, 0) + 1
        if report.text:
            summary.texts.append(report.text)
    return [summaries[i] for i in ids]
