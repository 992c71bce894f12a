"""The auto-moderator's rules in force: staff's words and thresholds over the shipped
defaults, loaded from the database and kept per process until staff change them."""

from __future__ import annotations

import logging
import time

import sqlalchemy as sa
from flask import current_app
from redis.exceptions import RedisError

from ...core.db import db
from ...core.redis import redis_client, rkey
from ...models import ModerationSetting, ModerationWord
from .rules import (
    MODERATORS_ALLOWED,
    WORD_KINDS,
    Rules,
    default_settings,
    default_words,
    parse_setting,
)
from .wordmatch import WordList

log = logging.getLogger(__name__)

# How long a process trusts its copy of the rules before asking Redis whether staff
# changed them, and the longest it keeps them even when Redis says nothing changed.
CACHE_SECONDS = 3.0
MAX_CACHE_SECONDS = 60.0


def _rules_version_key() -> str:
    return rkey("automod", "rules-version")


def _stored_rules() -> Rules:
    settings: dict[str, str | int | float] = {}
    for name, value in db.session.execute(
        sa.select(ModerationSetting.name, ModerationSetting.value)
    ):
        try:
            settings[name] = parse_setting(name, value)
        except ValueError as exc:
            log.warning("moderation setting ignored: %s", exc)
    use_defaults = {**default_settings(), **settings}["use_default_words"]
    lists = default_words() if use_defaults else {}
    merged: dict[str, list[str]] = {kind: list(lists.get(kind, ())) for kind in WORD_KINDS}
    merged[MODERATORS_ALLOWED] = []
    query = sa.select(ModerationWord.kind, ModerationWord.pattern, ModerationWord.by_admin)
    for kind, pattern, by_admin in db.session.execute(query):
        try:
            WordList([pattern])
        except ValueError as exc:
            log.warning("moderation word ignored: %s", exc)
            continue
        # A moderator's exception never frees a banned word, whenever it was added.
        merged[MODERATORS_ALLOWED if kind == "allowed" and not by_admin else kind].append(pattern)
    return Rules.build(merged, settings)


def _rules_version() -> int | None:
    try:
        return int(redis_client().get(_rules_version_key()) or 0)
    except RedisError:
        return None


def load_rules() -> Rules:
    """The rules in force: staff's words and settings over the shipped defaults.

    Kept per app and process for CACHE_SECONDS, then for as long as the Redis version that
    ``rules_changed`` bumps stays the same (at most MAX_CACHE_SECONDS).
    """
    cached = current_app.extensions.get("automod_rules")
    now = time.monotonic()
    if cached and now - cached["checked"] < CACHE_SECONDS:
        return cached["rules"]
    version = _rules_version()
    if (
        cached
        and version is not None
        and version == cached["version"]
        and now - cached["loaded"] < MAX_CACHE_SECONDS
    ):
        cached["checked"] = now
        return cached["rules"]
    rules = _stored_rules()
    current_app.extensions["automod_rules"] = {
        "rules": rules,
        "version": version,
        "loaded": now,
        "checked": now,
    }
    return rules


def rules_changed() -> None:
    """Call after staff commit a change to the words or settings: every process reloads."""
    current_app.extensions.pop("automod_rules", None)
    try:
        redis_client().incr(_rules_version_key())
    except RedisError:
        log.warning("redis unavailable: other processes see rule changes within a minute")
