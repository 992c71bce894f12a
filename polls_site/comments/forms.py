"""The comment forms: a new comment or reply, an author's edit, a reader's report."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField, ValidationError

from ..models import REPORT_TEXT_LENGTH
from ..notifications.addresses import normalise_email, valid_email
from .render import without_invisible
from .reports import REASONS

MAX_NAME = 80
MAX_TEXT = 3000


# NUL cannot be stored (PostgreSQL refuses it) and no reader typed it; a name is one line
# of visible text, so it loses every control character, bidi control and zero-width one.
_NUL = re.compile("\x00")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def _clean_text(value: Any) -> Any:
    return _NUL.sub("", value).strip() if isinstance(value, str) else value


def _clean_name(value: Any) -> Any:
    return without_invisible(_CONTROL.sub("", value)).strip() if isinstance(value, str) else value


def _clean_email(value: Any) -> Any:
    return normalise_email(value) if isinstance(value, str) else value


def _parent_id(value: Any) -> int | None:
    # Junk becomes -1, which no comment has, so it is reported as an unknown comment.
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def check_text(text: str | None) -> None:
    """Refuse an empty or oversize comment text, each with its own message."""
    if not text:
        raise ValidationError(_l("Write your comment."))
    if len(text) > MAX_TEXT:
        raise ValidationError(
            ngettext(
                "The comment is too long: %(num)d characters at most (you wrote %(wrote)d).",
                "The comment is too long: %(num)d characters at most (you wrote %(wrote)d).",
                MAX_TEXT,
                wrote=len(text),
            )
        )


class EditForm(FlaskForm):
    """An author's change to their own comment. CSRF is the signed per-render token."""

    class Meta:
        csrf = False

    token = HiddenField()
    text = TextAreaField(filters=[_clean_text])

    def validate_text(self, field: TextAreaField) -> None:
        """1–3000 characters once surrounding whitespace is gone."""
        check_text(field.data)


class CommentForm(EditForm):
    """A new comment or a reply."""

    name = StringField(filters=[_clean_name])
    parent = HiddenField(filters=[_parent_id])
    # Optional: an address for reply notifications (confirmed by mail before any is sent).
    email = StringField(filters=[_clean_email])
    # A field people never see (hidden by CSS, skipped by keyboard and screen readers);
    # form-filling bots fill it.
    website = StringField()

    def validate_name(self, field: StringField) -> None:
        """A name is required and fits the column."""
        if not field.data:
            raise ValidationError(_l("Enter your name."))
        if len(field.data) > MAX_NAME:
            raise ValidationError(
                ngettext(
                    "The name is too long: %(num)d characters at most.",
                    "The name is too long: %(num)d characters at most.",
                    MAX_NAME,
                )
            )

    def validate_email(self, field: StringField) -> None:
        """Empty, or an address of a deliverable shape."""
        if field.data and not valid_email(field.data):
            raise ValidationError(_l("Enter a valid email address, or leave the field empty."))

    @property
    def is_bot(self) -> bool:
        """True when the honeypot field came back filled in."""
        return bool((self.website.data or "").strip())


class ReportForm(FlaskForm):
    """A reader's report of a comment: a reason, and a few words if they like."""

    class Meta:
        csrf = False

    token = HiddenField()
    reason = StringField()
    text = TextAreaField(filters=[_clean_text])

    def validate_reason(self, field: StringField) -> None:
        """One of the listed reasons."""
        if field.data not in REASONS:
            raise ValidationError(_l("Choose a reason."))

    def validate_text(self, field: TextAreaField) -> None:
        """Optional, and short."""
        if field.data and len(field.data) > REPORT_TEXT_LENGTH:
            raise ValidationError(
                ngettext(
                    "The explanation is too long: %(num)d characters at most.",
                    "The explanation is too long: %(num)d characters at most.",
                    REPORT_TEXT_LENGTH,
                )
            )
