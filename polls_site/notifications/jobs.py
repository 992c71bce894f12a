"""RQ jobs of the notifications queue: confirmation mail, reply mail, moderators' events.

Each job re-reads the database when it runs, so what it sends matches the state then: a
reply hidden again before its mail went out is not announced. Failures raise, so RQ
retries them (NOTIFY_RETRY_SECONDS) and, after the last retry, keeps them failed where
/staff/jobs shows them.
"""

from __future__ import annotations

import json
import logging
import time
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from redis.exceptions import RedisError
from rq import Retry

from ..core.db import db
from ..core.jobs import FAILURE_TTL, NOTIFICATIONS, job_fields, task_queue, unique_job_id
from ..core.logs import current_request_id
from ..core.redis import redis_client, rkey
from ..models import Comment, CommentStatus, ReplySubscription, utcnow
from . import mail, settings, webhook
from .subscriptions import admit_mail, reply_recipients
from .tokens import confirm_token, unsubscribe_token

log = logging.getLogger(__name__)

# A reply announced to a subscriber is remembered this long (a re-approval is not news).
_SENT_SECONDS = 90 * 24 * 3600
_DIGEST_KEY = "notify-digest"


def notification_options(job_id: str) -> dict[str, Any]:
    """How notification jobs are enqueued: retried with NOTIFY_RETRY_SECONDS between tries."""
    intervals = current_app.config["NOTIFY_RETRY_SECONDS"]
    return {
        "job_id": job_id,
        "retry": Retry(max=len(intervals), interval=intervals) if intervals else None,
        "result_ttl": 0,
        "failure_ttl": FAILURE_TTL,
        "job_timeout": 60,
        "meta": {"request_id": current_request_id()},
    }


@contextmanager
def _links(lang: str):
    # url_for(_external=True) needs a request; PUBLIC_URL (SERVER_NAME) names the host.
    base = current_app.config["PUBLIC_URL"] or "http://localhost:8000"
    with current_app.test_request_context("/", base_url=base), force_locale(lang):
        yield


def send_confirmation(subscription_id: int) -> bool:
    """RQ job: mail the confirmation link of an unconfirmed subscription.

    False when there is nothing to do (gone, confirmed) or the address is past its limit.
    """
    started = time.perf_counter()
    try:
        subscription = db.session.get(ReplySubscription, subscription_id)
        if subscription is None or subscription.confirmed_at is not None:
            return False
        if not admit_mail("confirm", subscription.email):
            log.info("confirmation not sent: address over its limit", extra=job_fields(started))
            return False
        comment = db.session.get(Comment, subscription.comment_id)
        with _links(subscription.lang):
            token = confirm_token(subscription.id, subscription.email)
            message = mail.compose(
                subscription.email,
                _("Confirm reply notifications"),
                "confirm",
                confirm_url=url_for("notifications.confirm", token=token, _external=True),
                thread=comment.thread,
                days=current_app.config["NOTIFY_CONFIRM_MAX_AGE"] // 86400,
            )
        mail.send(message)
    finally:
        db.session.remove()
    log.info("confirmation sent", extra={"subscription_id": subscription_id, **job_fields(started)})
    return True


def _sent_key(subscription_id: int, reply_id: int) -> str:
    return rkey("notified", subscription_id, reply_id)


def _reply_message(subscription: ReplySubscription, reply: Comment):
    parent = db.session.get(Comment, reply.parent_id)
    with _links(subscription.lang):
        thread_url = url_for(
            "notifications.unsubscribe",
            token=unsubscribe_token(subscription.email, subscription.thread_id),
            _external=True,
        )
        all_url = url_for(
            "notifications.unsubscribe",
            token=unsubscribe_token(subscription.email, None),
            _external=True,
        )
        # RFC 8058: the header's URL takes a one-click POST; it ends this thread's mail.
        headers = {
            "List-Unsubscribe": f"<{thread_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
        return mail.compose(
            subscription.email,
            _("New reply to your comment"),
            "reply",
            headers=headers,
            reply=reply,
            parent=parent,
            thread=reply.thread,
            unsubscribe_thread_url=thread_url,
            unsubscribe_all_url=all_url,
        )


def notify_reply(comment_id: int) -> int:
    """RQ job: mail the subscribed author of the parent of an approved reply.

    Nothing is sent unless the reply is approved when the job runs. Returns the number
    of messages sent.
    """
    started = time.perf_counter()
    sent = 0
    try:
        reply = db.session.get(Comment, comment_id)
        if reply is None or reply.status != CommentStatus.APPROVED:
            return 0
        for subscription in reply_recipients(reply):
            key = _sent_key(subscription.id, reply.id)
            # Claimed before sending, released if sending fails, so a retry sends it.
            if not redis_client().set(key, 1, nx=True, ex=_SENT_SECONDS):
                continue
            if not admit_mail("reply", subscription.email):
                continue
            try:
                mail.send(_reply_message(subscription, reply))
            except Exception:
                redis_client().delete(key)
                raise
            sent += 1
    finally:
        db.session.remove()
    log.info(
        "reply notices sent", extra={"comment_id": comment_id, "sent": sent, **job_fields(started)}
    )
    return sent


def _event(kind: str, comment: Comment | None) -> dict[str, Any]:
    data: dict[str, Any] = {"event": kind, "sent_at": utcnow().isoformat()}
    if comment is not None:
        data["comment"] = {
            "id": comment.id,
            "thread": comment.thread.key,
            "article": comment.thread.title,
            "author_name": comment.author_name,
            "text": comment.text[:500],
            "status": comment.status,
            "created_at": comment.created_at.isoformat(),
        }
    data["waiting"] = db.session.scalar(
        sa.select(sa.func.count(Comment.id)).where(Comment.status == CommentStatus.REVIEW)
    )
    return data


def moderator_notice(kind: str, comment_id: int | None) -> None:
    """RQ job: turn one moderators' event into a webhook delivery and a digest entry."""
    try:
        chosen = settings.current()
        comment = db.session.get(Comment, comment_id) if comment_id is not None else None
        if comment_id is not None and comment is None:
            return
        data = _event(kind, comment)
    finally:
        db.session.remove()
    test = kind == "test"
    if chosen.webhook_url and (test or kind in chosen.webhook_events):
        task_queue(NOTIFICATIONS).enqueue(
            deliver_webhook, data, **notification_options(unique_job_id(f"webhook-{kind}"))
        )
    if chosen.moderator_emails:
        _add_to_digest(data, chosen.digest_seconds)


def deliver_webhook(data: dict[str, Any]) -> int:
    """RQ job: POST one signed event to the moderators' webhook (retried on failure)."""
    started = time.perf_counter()
    try:
        chosen = settings.current()
    finally:
        db.session.remove()
    status = webhook.post_event(data, chosen.webhook_url, chosen.webhook_secret)
    log.info(
        "webhook delivered", extra={"event": data["event"], "status": status, **job_fields(started)}
    )
    return status


def _add_to_digest(data: dict[str, Any], interval: int) -> None:
    # The first event of an interval schedules the digest; the others only join it.
    redis = redis_client()
    redis.rpush(rkey(_DIGEST_KEY), json.dumps(data, ensure_ascii=False))
    if redis.set(rkey(_DIGEST_KEY, "scheduled"), 1, nx=True, ex=interval + 60):
        task_queue(NOTIFICATIONS).enqueue_in(
            timedelta(seconds=interval),
            send_digest,
            **notification_options(unique_job_id("digest")),
        )


def send_digest() -> int:
    """RQ job: mail the moderators one message with every event since the last digest."""
    redis = redis_client()
    pipe = redis.pipeline()
    pipe.lrange(rkey(_DIGEST_KEY), 0, -1)
    pipe.delete(rkey(_DIGEST_KEY), rkey(_DIGEST_KEY, "scheduled"))
    raw, _deleted = pipe.execute()
    events = [json.loads(item) for item in raw]
    if not events:
        return 0
    try:
        recipients = settings.current().moderator_emails
    finally:
        db.session.remove()
    if not recipients:
        return 0
    try:
        with _links(current_app.config["BABEL_DEFAULT_LOCALE"]):
            message = mail.compose(
                ", ".join(recipients),
                _("Comments waiting for moderators: %(num)d events", num=len(events)),
                "digest",
                events=events,
                labels=settings.EVENT_LABELS,
                queue_url=url_for("staff.queue", _external=True),
            )
        mail.send(message)
    except Exception:
        # Put them back: the retry (or the next digest) sends them.
        try:
            redis.lpush(rkey(_DIGEST_KEY), *reversed(raw))
        except RedisError:
            log.warning("digest events lost with Redis")
        raise
    return len(events)


def check_queue_age() -> bool:
    """RQ job (the ticker's, every NOTIFY_QUEUE_OLD_MINUTES): a "queue_old" event when a
    comment has waited for a person for longer than that."""
    minutes = current_app.config["NOTIFY_QUEUE_OLD_MINUTES"]
    try:
        if not settings.current().active:
            return False
        cutoff = utcnow() - timedelta(minutes=minutes)
        oldest = db.session.scalar(
            sa.select(Comment.id)
            .where(Comment.status == CommentStatus.REVIEW, Comment.moderated_at < cutoff)
            .order_by(Comment.moderated_at)
            .limit(1)
        )
    finally:
        db.session.remove()
    if oldest is None:
        return False
    moderator_notice("queue_old", oldest)
    return True
