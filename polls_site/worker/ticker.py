"""The periodic jobs the worker's ticker asks for, each at most once per interval across workers."""

from __future__ import annotations

from flask import current_app

from ..comments.jobs import reconcile_comments, reconcile_every_pending_comment
from ..core.jobs import MODERATION, NOTIFICATIONS, enqueue_periodic
from ..notifications.jobs import check_queue_age
from ..polls.jobs import reconcile_results
from ..polls.lifecycle import run_schedule
from .retention import purge_expired_ip_hashes

# Once a day is enough for a purge measured in days.
PURGE_SECONDS = 24 * 3600
# How long the mark of a new Redis epoch's reconcile keeps the other workers' tickers
# from enqueueing it again (an epoch does not come back).
EPOCH_MARK_SECONDS = 3600


def request_reconcile() -> bool:
    """Enqueue one reconcile pass per RECONCILE_SECONDS; False if Redis failed."""
    return enqueue_periodic("reconcile", reconcile_results, current_app.config["RECONCILE_SECONDS"])


def request_schedule() -> bool:
    """Enqueue one pass opening and closing due polls per SCHEDULE_SECONDS."""
    return enqueue_periodic("schedule", run_schedule, current_app.config["SCHEDULE_SECONDS"])


def request_comment_reconcile() -> bool:
    """Enqueue one comment reconcile pass per RECONCILE_SECONDS; False if Redis failed."""
    return enqueue_periodic(
        "reconcile-comments",
        reconcile_comments,
        current_app.config["RECONCILE_SECONDS"],
        MODERATION,
    )


def request_purge() -> bool:
    """Enqueue the retention purge once a day; False if Redis failed."""
    return enqueue_periodic("purge", purge_expired_ip_hashes, PURGE_SECONDS, MODERATION)


def request_queue_age_check() -> bool:
    """Enqueue the moderators' "queue_old" check once per NOTIFY_QUEUE_OLD_MINUTES (it does
    nothing unless a webhook or moderators' mail is set up); False if Redis failed."""
    interval = current_app.config["NOTIFY_QUEUE_OLD_MINUTES"] * 60
    return enqueue_periodic("queue-age", check_queue_age, interval, NOTIFICATIONS)


def request_epoch_reconcile(epoch: str) -> bool:
    """Both reconcile passes at once, once per new Redis epoch across workers, the comments'
    without its grace: Redis came back as another server (a promoted replica, a restart)
    and may lack the last dedupe keys, versions and jobs. False if Redis failed."""
    results = enqueue_periodic(f"reconcile-{epoch}", reconcile_results, EPOCH_MARK_SECONDS)
    comments = enqueue_periodic(
        f"reconcile-comments-{epoch}",
        reconcile_every_pending_comment,
        EPOCH_MARK_SECONDS,
        MODERATION,
    )
    return results and comments
