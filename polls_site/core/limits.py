"""Fixed-window rate limits in Redis: one atomic script per check, and what it answers."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from redis.exceptions import RedisError

from .redis import lua_script

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Admission:
    """What Redis said about an attempt.

    ``verdict`` is "ok", "limited", a check's own verdict (a vote's "duplicate") or
    "unchecked" (Redis unreachable: no rate limit applies).
    """

    verdict: str
    retry_after: int = 0


def admit(script: str, keys: Sequence[str], args: Sequence[object], what: str) -> Admission:
    """Run a limit ``script`` that answers {verdict, seconds to wait}; without Redis the
    attempt is let through and one warning says that ``what`` is disabled."""
    try:
        verdict, wait = lua_script(script)(keys=list(keys), args=list(args))
    except RedisError as exc:
        log.warning("%s DISABLED, Redis unavailable: %s", what, exc)
        return Admission("unchecked")
    verdict = verdict.decode() if isinstance(verdict, bytes) else verdict
    return Admission(verdict, max(int(wait), 1) if verdict == "limited" else 0)
