"""The thread page's forms (CSRF from Flask-WTF, like every staff form)."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, ValidationError

from ...comments.forms import check_text
from ...comments.keys import origin_of
from ...comments.policy import MAX_SLOW_MODE_MINUTES
from ...comments.threads import MAX_TITLE_LENGTH, MAX_URL_LENGTH
from ...core.converters import parse_id


class ActionForm(FlaskForm):
    """A button that changes one thing (close, reopen): only the CSRF token."""


class PolicyForm(FlaskForm):
    """Premoderation and slow mode of one thread."""

    premoderated = BooleanField(_l("Premoderate: every new comment waits for a moderator"))
    slow_mode_minutes = IntegerField(
        _l("Slow mode: minutes between two comments of one reader (0: off)"),
        validators=[
            InputRequired(_l("Enter a number of minutes (0 turns slow mode off).")),
            NumberRange(
                min=0,
                max=MAX_SLOW_MODE_MINUTES,
                message=_l("From 0 to %(num)d minutes.", num=MAX_SLOW_MODE_MINUTES),
            ),
        ],
    )


def page_url_error(url: str, allowed: list[str]) -> str | None:
    """Why ``url`` cannot be a thread's article URL, or None: empty is allowed; otherwise
    an http(s) URL, on one of ``allowed`` origins when any are configured."""
    if not url:
        return None
    origin = origin_of(url)
    if origin is None:
        return str(_l("Enter a web address starting with http:// or https://."))
    allowed_set = {a.lower().rstrip("/") for a in allowed}
    if allowed_set and origin not in allowed_set:
        return str(
            _l("The address must be on the portal: %(origins)s.", origins=", ".join(allowed))
        )
    return None


class DetailsForm(FlaskForm):
    """The thread's title and article URL, as the portal would have given them."""

    title = StringField(
        _l("Title"),
        validators=[
            Length(max=MAX_TITLE_LENGTH, message=_l("At most %(num)d characters.", num=300))
        ],
    )
    url = StringField(
        _l("Article URL"),
        validators=[
            Length(max=MAX_URL_LENGTH, message=_l("At most %(num)d characters.", num=1000))
        ],
    )

    def validate_url(self, field: StringField) -> None:
        """An http(s) address on an allowed portal origin (EMBED_ALLOWED_ORIGINS)."""
        error = page_url_error(
            (field.data or "").strip(), current_app.config["EMBED_ALLOWED_ORIGINS"]
        )
        if error:
            raise ValidationError(error)


def _clean_text(value: object) -> object:
    # NUL cannot be stored (PostgreSQL refuses it).
    return value.replace("\x00", "").strip() if isinstance(value, str) else value


def _optional_id(value: object) -> int | None:
    if value in (None, ""):
        return None
    # Junk and ids past the column's range become -1, which no comment has: refused as a
    # reply to nothing rather than a query the database rejects.
    return parse_id(value) or -1


class StaffCommentForm(FlaskForm):
    """A comment or reply written as staff from the thread page."""

    text = TextAreaField(_l("Comment"), filters=[_clean_text])
    parent = HiddenField(filters=[_optional_id])

    def validate_text(self, field: TextAreaField) -> None:
        """1–3000 characters, like a reader's comment."""
        check_text(field.data)
