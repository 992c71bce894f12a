"""The vote form: reads the reader's choice and validates it against the poll.

Plain functions on the posted values rather than a WTForms form: building a form object
per vote (its fields, meta and translations) cost more than the rest of the validation.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from flask_babel import ngettext

from .cache import PollInfo


def option_id(value: str) -> int:
    """A posted option id; junk becomes -1, which no option has, so it is reported as an
    unknown option with our message."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def read_choice(values: Iterable[str]) -> list[int]:
    """The option ids posted as ``option`` (one per marked answer), in the order sent."""
    return [option_id(value) for value in values]


def choice_error(chosen: list[int], poll: PollInfo) -> str | None:
    """Why ``chosen`` is not a valid ballot of ``poll`` (no choice, an option of another
    poll, too many choices), or None when it is."""
    if not chosen:
        return _("Choose an answer.")
    known = {o.id for o in poll.options}
    if any(option not in known for option in chosen):
        return _("There is no such answer in this poll.")
    limit = poll.choice_limit
    if len(set(chosen)) > limit:
        return ngettext(
            "You can choose at most %(num)d answer.",
            "You can choose at most %(num)d answers.",
            limit,
        )
    return None


def ballot_options(chosen: list[int]) -> list[int]:
    """The options a valid choice stores: each once, in id order."""
    return sorted(set(chosen))
