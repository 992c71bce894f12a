"""The vote form: validates the reader's choice against the poll."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectMultipleField, ValidationError

from .cache import PollInfo


def _option_id(value: Any) -> int:
    # Junk becomes -1, which no option has, so it is reported as an unknown option
    # with our message instead of WTForms' English coercion error.
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


class VoteForm(FlaskForm):
    """One ballot. CSRF is the signed per-render token, not the session-based one."""

    class Meta:
        csrf = False

    token = HiddenField()
    option = SelectMultipleField(coerce=_option_id, validate_choice=False)

    def __init__(self, poll: PollInfo, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.poll = poll
        self.option.choices = [(o.id, o.text) for o in poll.options]

    def validate_option(self, field: SelectMultipleField) -> None:
        """Reject no choice, an option of another poll, or too many choices."""
        chosen = field.data or []
        if not chosen:
            raise ValidationError(_l("Choose an answer."))
        known = {o.id for o in self.poll.options}
        if any(option_id not in known for option_id in chosen):
            raise ValidationError(_l("There is no such answer in this poll."))
        limit = self.poll.choice_limit
        if len(set(chosen)) > limit:
            raise ValidationError(
                ngettext(
                    "You can choose at most %(num)d answer.",
                    "You can choose at most %(num)d answers.",
                    limit,
                )
            )
        field.data = sorted(set(chosen))
