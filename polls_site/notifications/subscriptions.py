"""Reply subscriptions: subscribe from the comment form, confirm, unsubscribe, erase.

Double opt-in: a subscription mails nothing until its confirmation link is followed. An
address that confirmed once (and did not unsubscribe from everything since) is trusted
for its later comments without a new confirmation.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from ..config import parse_limit
from ..core.db import db
from ..core.limits import admit
from ..core.redis import rkey
from ..models import Comment, EmailOptOut, ReplySubscription, utcnow
from .addresses import email_hash

log = logging.getLogger(__name__)

_ADMIT_ONE = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if count > tonumber(ARGV[1]) then return {'limited', redis.call('TTL', KEYS[1])} end
return {'ok', 0}
"""


def admit_mail(kind: str, email: str) -> bool:
    """Count one message of ``kind`` ("reply", "confirm") to ``email``; False past its limit.

    Without Redis the message is not sent: no limit, no mail (the worker needs Redis anyway).
    """
    setting = {"reply": "NOTIFY_REPLY_LIMIT", "confirm": "NOTIFY_CONFIRM_LIMIT"}[kind]
    count, window = parse_limit(current_app.config[setting])
    key = rkey("rl", "mail", kind, email_hash(email))
    return admit(_ADMIT_ONE, [key], [count, window], "mail limits").verdict == "ok"


def opted_out(email: str) -> bool:
    """True when the address unsubscribed from everything."""
    return db.session.get(EmailOptOut, email_hash(email)) is not None


def _confirmed_before(email: str) -> bool:
    return (
        db.session.scalar(
            sa.select(ReplySubscription.id)
            .where(
                ReplySubscription.email == email,
                ReplySubscription.confirmed_at.is_not(None),
            )
            .limit(1)
        )
        is not None
    )


def subscribe(comment_id: int, thread_id: int, email: str, lang: str) -> ReplySubscription | None:
    """Store a subscription to replies to ``comment_id``; None if it could not be stored.

    Confirmed at once when the address confirmed before and has not opted out since;
    otherwise the caller enqueues the confirmation mail.
    """
    trusted = _confirmed_before(email) and not opted_out(email)
    subscription = ReplySubscription(
        comment_id=comment_id,
        thread_id=thread_id,
        email=email,
        lang=lang,
        confirmed_at=utcnow() if trusted else None,
    )
    db.session.add(subscription)
    try:
        db.session.commit()
    except (IntegrityError, SQLAlchemyError):
        db.session.rollback()
        log.exception("reply subscription for comment %s not stored", comment_id)
        return None
    return subscription


def confirm(subscription_id: int, email: str) -> ReplySubscription | None:
    """Confirm a subscription named by a valid link (lifting a global opt-out: the reader
    asked again); None when it is gone or belongs to another address."""
    subscription = db.session.get(ReplySubscription, subscription_id)
    if subscription is None or subscription.email != email:
        return None
    if subscription.confirmed_at is None:
        subscription.confirmed_at = utcnow()
    subscription.unsubscribed_at = None
    db.session.execute(sa.delete(EmailOptOut).where(EmailOptOut.email_hash == email_hash(email)))
    db.session.commit()
    return subscription


def unsubscribe(email: str, thread_id: int | None) -> int:
    """Stop reply mail to ``email``: in one thread, or everywhere (and remember that).

    Returns how many subscriptions were ended. Idempotent: a second click changes nothing.
    """
    query = sa.update(ReplySubscription).where(
        ReplySubscription.email == email, ReplySubscription.unsubscribed_at.is_(None)
    )
    if thread_id is not None:
        query = query.where(ReplySubscription.thread_id == thread_id)
    ended = db.session.execute(query.values(unsubscribed_at=utcnow())).rowcount
    if thread_id is None and not opted_out(email):
        db.session.add(EmailOptOut(email_hash=email_hash(email)))
    try:
        db.session.commit()
    except IntegrityError:  # the same link clicked twice at once
        db.session.rollback()
    return ended


def reply_recipients(reply: Comment) -> list[ReplySubscription]:
    """Who hears of the approved ``reply``: the confirmed, subscribed author of its parent,
    unless they replied to themselves or opted out of everything."""
    if reply.parent_id is None:
        return []
    parent = db.session.get(Comment, reply.parent_id)
    if parent is None or parent.voter_key == reply.voter_key:
        return []
    subscriptions = db.session.scalars(
        sa.select(ReplySubscription).where(
            ReplySubscription.comment_id == parent.id,
            ReplySubscription.confirmed_at.is_not(None),
            ReplySubscription.unsubscribed_at.is_(None),
        )
    )
    return [s for s in subscriptions if not opted_out(s.email)]


def subscriptions_of(comment_ids: list[int]) -> list[ReplySubscription]:
    """The subscriptions made with these comments (the privacy export and erasure)."""
    if not comment_ids:
        return []
    query = sa.select(ReplySubscription).where(ReplySubscription.comment_id.in_(comment_ids))
    return list(db.session.scalars(query.order_by(ReplySubscription.id)))


def export_subscriptions(subscriptions: list[ReplySubscription]) -> list[dict]:
    """The subscriptions as plain data: the address is the reader's own, given back to them."""
    return [
        {
            "comment_id": s.comment_id,
            "email": s.email,
            "lang": s.lang,
            "created_at": s.created_at.isoformat(),
            "confirmed_at": s.confirmed_at.isoformat() if s.confirmed_at else None,
            "unsubscribed_at": s.unsubscribed_at.isoformat() if s.unsubscribed_at else None,
        }
        for s in subscriptions
    ]


def erase_subscriptions(subscriptions: list[ReplySubscription]) -> None:
    """Delete the subscriptions (their addresses with them); the caller commits."""
    for subscription in subscriptions:
        db.session.delete(subscription)
