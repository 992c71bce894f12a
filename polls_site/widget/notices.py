"""The messages at the top of a reader widget, and the refusals both widgets give alike."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Response


@dataclass(frozen=True)
class Notice:
    """A message shown at the top of a widget; ``kind`` is success, info or error."""

    kind: str
    text: str


def retry_minutes(retry_after: int) -> int:
    """Whole minutes, rounded up, that a reader is told to wait (at least one)."""
    return max(1, (retry_after + 59) // 60)


def busy_refusal(
    kind: str,
    retry_after: int,
    refuse: Callable[[int, str, str], Response],
    *,
    limited: Callable[[int], str],
    unavailable: str,
) -> Response | None:
    """429 with Retry-After for a rate-limited outcome, 503 for an unavailable service,
    None for any other ``kind``. ``limited`` words the wait in minutes; ``refuse`` builds
    the widget's answer from (status, outcome, message)."""
    if kind == "limited":
        response = refuse(429, "limited", limited(retry_minutes(retry_after)))
        response.headers["Retry-After"] = str(retry_after)
        return response
    if kind == "unavailable":
        return refuse(503, "unavailable", unavailable)
    return None
