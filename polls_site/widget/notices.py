"""The messages at the top of a reader widget, and the refusals both widgets give alike."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from flask import Response
from flask_babel import gettext as _
from flask_babel import ngettext

from .voters import widget_post_allowed

Widget = Literal["poll", "comments"]
# Builds a widget's refusal from (status, outcome for the metrics, message).
Refuse = Callable[[int, str, str], Response]
# What each widget's form token is made for.
_PURPOSE = {"poll": "vote", "comments": "comment"}


@dataclass(frozen=True)
class Notice:
    """A message shown at the top of a widget; ``kind`` is success, info or error."""

    kind: str
    text: str


def retry_minutes(retry_after: int) -> int:
    """Whole minutes, rounded up, that a reader is told to wait (at least one)."""
    return max(1, (retry_after + 59) // 60)


def foreign_post_refusal(
    token: str | None, target_id: int, refuse: Refuse, widget: Widget
) -> Response | None:
    """403 when a widget POST is not ours (another site, or a form token that expired or is
    for something else); None when it is."""
    if widget_post_allowed(token, _PURPOSE[widget], target_id):
        return None
    return expired_form_refusal(refuse, widget)


def expired_form_refusal(refuse: Refuse, widget: Widget) -> Response:
    """403 for a widget POST that is not ours (see ``foreign_post_refusal``)."""
    if widget == "poll":
        expired = _("The form has expired or came from another site. Please vote again.")
    else:
        expired = _("The form has expired or came from another site. Please send it again.")
    return refuse(403, "forbidden", expired)


def busy_refusal(kind: str, retry_after: int, refuse: Refuse, widget: Widget) -> Response | None:
    """429 with Retry-After for a rate-limited outcome, 503 for an unavailable service,
    None for any other ``kind``; ``refuse`` builds the widget's answer from (status,
    outcome, message)."""
    if kind in ("limited", "slow"):
        limit = "vote" if widget == "poll" else ("slow" if kind == "slow" else "comment")
        return limit_refusal(limit, retry_after, refuse)
    if kind == "unavailable":
        if widget == "poll":
            return refuse(
                503,
                "unavailable",
                _("Your vote was not saved: the service is busy. Please try again."),
            )
        return refuse(
            503,
            "unavailable",
            _("Your comment was not saved: the service is busy. Please try again."),
        )
    return None


def limit_refusal(limit: str, retry_after: int, refuse: Refuse) -> Response:
    """The one answer to every rate limit: 429, Retry-After in seconds, and the limit's
    message saying in whole minutes when to try again. ``limit`` is a key of
    LIMIT_MESSAGES; the metrics outcome is "limited" ("slow" for slow mode)."""
    outcome = "slow" if limit == "slow" else "limited"
    response = refuse(429, outcome, LIMIT_MESSAGES[limit](retry_minutes(retry_after)))
    response.headers["Retry-After"] = str(retry_after)
    return response


# One literal ngettext per limit: the message extractor reads only literal strings. A new
# limit adds its message here and refuses through limit_refusal.
LIMIT_MESSAGES: dict[str, Callable[[int], str]] = {
    "vote": lambda minutes: ngettext(
        "Too many votes from your network. Please try again in %(num)d minute.",
        "Too many votes from your network. Please try again in %(num)d minutes.",
        minutes,
    ),
    "comment": lambda minutes: ngettext(
        "You are posting too often. Please try again in %(num)d minute.",
        "You are posting too often. Please try again in %(num)d minutes.",
        minutes,
    ),
    "slow": lambda minutes: ngettext(
        "Slow mode is on in this discussion: you may post again in %(num)d minute.",
        "Slow mode is on in this discussion: you may post again in %(num)d minutes.",
        minutes,
    ),
    "report": lambda minutes: ngettext(
        "You have sent too many reports. Please try again in %(num)d minute.",
        "You have sent too many reports. Please try again in %(num)d minutes.",
        minutes,
    ),
    "like": lambda minutes: ngettext(
        "Too many likes from your network. Please try again in %(num)d minute.",
        "Too many likes from your network. Please try again in %(num)d minutes.",
        minutes,
    ),
}
