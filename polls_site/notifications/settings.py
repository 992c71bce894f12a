"""The moderators' notification settings: the environment's, overridden from the staff area.

SMTP and its credentials stay in the environment only; what an admin may change on
/staff/notifications is where events go (the webhook, the digest's recipients) and which.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..core.db import db
from ..models import NotificationSetting
from .addresses import normalise_email, valid_email

EVENTS = ("review", "reported", "queue_old")
# How staff screens and the digest name each event (the webhook's JSON keeps the code).
EVENT_LABELS = {
    "review": _l("A comment waits for a moderator"),
    "reported": _l("Readers reported a comment"),
    "queue_old": _l("The queue has waited too long"),
    "test": _l("Test message"),
}
MIN_DIGEST_SECONDS = 60
MAX_DIGEST_SECONDS = 24 * 3600


@dataclass(frozen=True)
class ModeratorSettings:
    """Where and which moderators' events go."""

    webhook_url: str
    webhook_secret: str
    webhook_events: tuple[str, ...]
    moderator_emails: tuple[str, ...]
    digest_seconds: int

    @property
    def active(self) -> bool:
        """True when events go anywhere at all."""
        return bool(self.webhook_url or self.moderator_emails)


def current() -> ModeratorSettings:
    """The settings in force: each stored value over the environment's."""
    config = current_app.config
    stored = {row.name: row.value for row in db.session.scalars(db.select(NotificationSetting))}

    def listed(name: str, default: list[str]) -> tuple[str, ...]:
        if name not in stored:
            return tuple(default)
        return tuple(x for x in stored[name].split(",") if x)

    return ModeratorSettings(
        webhook_url=stored.get("webhook_url", config["NOTIFY_WEBHOOK_URL"]),
        webhook_secret=stored.get("webhook_secret", config["NOTIFY_WEBHOOK_SECRET"]),
        webhook_events=listed("webhook_events", config["NOTIFY_WEBHOOK_EVENTS"]),
        moderator_emails=listed("moderator_emails", config["MODERATOR_EMAILS"]),
        digest_seconds=int(stored.get("digest_seconds", config["MODERATOR_DIGEST_SECONDS"])),
    )


def webhook_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a webhook (English, for the caller to translate), or None.

    A literal private address is refused here; names are resolved and checked again at
    every delivery (they may change).
    """
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return "scheme"
    if current_app.config["PRODUCTION"] and parts.scheme != "https":
        return "https"
    try:
        ip = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return None
    allowed = current_app.config["NOTIFY_WEBHOOK_ALLOW_HOSTS"]
    if not ip.is_global and parts.netloc not in allowed and parts.hostname not in allowed:
        return "private"
    return None


def parse_emails(text: str) -> tuple[list[str], list[str]]:
    """(valid normalised addresses, invalid entries) from a comma- or line-separated list."""
    entries = [normalise_email(x) for x in text.replace("\n", ",").split(",") if x.strip()]
    return [x for x in entries if valid_email(x)], [x for x in entries if not valid_email(x)]


def save(values: dict[str, str]) -> None:
    """Store every given setting (already checked); the caller commits."""
    for name, value in values.items():
        row = db.session.get(NotificationSetting, name)
        if row is None:
            db.session.add(NotificationSetting(name=name, value=value))
        else:
            row.value = value
