"""What the widget needs to know about a poll, cached in Redis for a few seconds.

Every widget view, vote and results poll starts by loading the poll and its
options; read through the ORM that is most of a request's cost. The cached copy
is a plain frozen dataclass, so nothing can write through it, and it expires
after POLL_CACHE_SECONDS (editing a poll calls ``forget_poll``).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy.orm import joinedload

from ..core.db import db
from ..core.near_cache import near_cache
from ..core.redis import redis_client, rkey
from ..models import Poll, voting_state

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OptionInfo:
    """An option: its id and text (options are kept in the editors' order)."""

    id: int
    text: str


@dataclass(frozen=True)
class PollInfo:
    """A read-only copy of a poll and its options."""

    id: int
    question: str
    status: str
    opens_at: datetime | None
    closes_at: datetime | None
    multiple: bool
    max_choices: int
    results_visibility: str
    options: tuple[
        OptionInfo, ...
    ]  # visible options only: hidden ones are neither offered nor shown
    min_sample: int = 0
    allow_vote_change: bool = False
    # The editor's revision of this copy: what HTML rendered from it is shared under.
    revision: int = 0

    def voting_state(self, now: datetime | None = None) -> str:
        """Return "open", "not_open_yet" or "closed" (see models.voting_state)."""
        return voting_state(self.status, self.opens_at, self.closes_at, now)

    @property
    def choice_limit(self) -> int:
        """How many options one ballot may mark."""
        return self.max_choices if self.multiple else 1

    @classmethod
    def from_model(cls, poll: Poll) -> PollInfo:
        """Copy an ORM poll (with its options loaded)."""
        return cls(
            id=poll.id,
            question=poll.question,
            status=str(poll.status),
            opens_at=poll.opens_at,
            closes_at=poll.closes_at,
            multiple=poll.multiple,
            max_choices=poll.max_choices,
            results_visibility=str(poll.results_visibility),
            options=tuple(OptionInfo(o.id, o.text) for o in poll.options if not o.hidden),
            min_sample=poll.min_sample,
            allow_vote_change=poll.allow_vote_change,
            revision=poll.revision,
        )

    def to_json(self) -> str:
        """Serialise for the cache."""
        data = {
            **self.__dict__,
            "opens_at": self.opens_at.isoformat() if self.opens_at else None,
            "closes_at": self.closes_at.isoformat() if self.closes_at else None,
            "options": [[o.id, o.text] for o in self.options],
        }
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: bytes | str) -> PollInfo:
        """Read back what ``to_json`` wrote."""
        data = json.loads(raw)
        for key in ("opens_at", "closes_at"):
            if data[key]:
                data[key] = datetime.fromisoformat(data[key])
        data["options"] = tuple(OptionInfo(i, t) for i, t in data["options"])
        return cls(**data)


_MISSING = "-"  # cached answer for an unknown poll id, so junk ids do not reach SQL


def _key(poll_id: int) -> str:
    return rkey("poll", poll_id, "info")


def load_poll(poll_id: int) -> PollInfo | None:
    """The poll from the caches, or from the database (then cached); None if unknown."""
    return near_cache().get_or_load(("poll", poll_id), lambda: _load_shared(poll_id))


def _load_shared(poll_id: int) -> PollInfo | None:
    client = redis_client()
    try:
        raw = client.get(_key(poll_id))
    except RedisError:
        return _from_database(poll_id)  # no point in writing to a Redis that failed
    if raw is not None:
        return None if raw == _MISSING.encode() else PollInfo.from_json(raw)
    info = _from_database(poll_id)
    try:
        client.set(
            _key(poll_id),
            info.to_json() if info else _MISSING,
            ex=current_app.config["POLL_CACHE_SECONDS"],
        )
    except RedisError as exc:
        log.warning("poll %s not cached: %s", poll_id, exc)
    return info


def _from_database(poll_id: int) -> PollInfo | None:
    poll = (
        db.session.scalars(
            sa.select(Poll).where(Poll.id == poll_id).options(joinedload(Poll.options))
        )
        .unique()
        .one_or_none()
    )
    return PollInfo.from_model(poll) if poll is not None else None


def page_key(kind: str, poll_id: int) -> str:
    """The Redis hash holding one poll's cached ``kind`` ("form" or "results") HTML variants."""
    return rkey("html", kind, poll_id)


def forget_poll(poll_id: int) -> None:
    """Drop the cached copy, and the HTML rendered from it, after the poll changed."""
    near_cache().forget(("poll", poll_id))
    try:
        redis_client().delete(
            _key(poll_id),
            page_key("form", poll_id),
            page_key("results", poll_id),
        )
    except RedisError as exc:
        log.warning("cached poll %s not dropped (it expires by itself): %s", poll_id, exc)
