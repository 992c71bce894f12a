"""Notifications on a queue of their own: `--queue notifications` serves it, the others not."""

from __future__ import annotations

import subprocess
import sys

from polls_site.core.jobs import NOTIFICATIONS, queue_name, task_queue
from polls_site.notifications.events import moderator_event
from tests.support.live import ROOT, worker_env


def burst(app, *args: str) -> None:
    """``worker.py --burst`` with the app's webhook settings (as plain variables)."""
    env = worker_env(app)
    for key in ("NOTIFY_WEBHOOK_URL", "NOTIFY_WEBHOOK_SECRET"):
        env[key] = app.config[key]
    env["NOTIFY_WEBHOOK_ALLOW_HOSTS"] = ",".join(app.config["NOTIFY_WEBHOOK_ALLOW_HOSTS"])
    done = subprocess.run(
        [sys.executable, "worker.py", "--burst", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def test_only_the_notifications_worker_delivers(app, webhook_receiver) -> None:
    assert queue_name(app, NOTIFICATIONS).endswith("-notifications")
    with app.app_context():
        assert moderator_event("test", None)
        assert task_queue(NOTIFICATIONS).count == 1
    burst(app, "--queue", "counts", "--queue", "moderation")
    assert webhook_receiver.requests == []
    burst(app, "--queue", "notifications")
    assert len(webhook_receiver.requests) == 1
