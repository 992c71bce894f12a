"""Staff forms. CSRF comes from Flask-WTF as usual: the staff area is first party."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from ..comments.render import without_invisible
from ..models import Role
from .passwords import MIN_PASSWORD_LENGTH


def role_choices() -> list[tuple[str, str]]:
    """The roles as (value, translated label), lowest first."""
    return [
        (Role.MODERATOR.value, _l("moderator")),
        (Role.EDITOR.value, _l("editor")),
        (Role.ADMIN.value, _l("admin")),
    ]


class LoginForm(FlaskForm):
    """Username and password."""

    username = StringField(_l("Username"), validators=[DataRequired(_l("Enter your username."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])
    next = HiddenField()


class NewStaffForm(FlaskForm):
    """An admin adds a staff member."""

    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(_l("Enter a username.")),
            Length(max=50, message=_l("At most 50 characters.")),
            Regexp(
                r"^[A-Za-z0-9_.-]+$",
                message=_l("Latin letters, digits, dot, dash and underscore only."),
            ),
        ],
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(_l("Enter a password.")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=200,
                message=_l("At least %(num)d characters.", num=MIN_PASSWORD_LENGTH),
            ),
        ],
    )
    role = SelectField(_l("Role"), choices=role_choices)


class RoleForm(FlaskForm):
    """An admin changes a staff member's role."""

    role = SelectField(_l("Role"), choices=role_choices)


def _clean_display_name(value: object) -> object:
    # One line of visible text, as a reader's name (comments/forms.py).
    if not isinstance(value, str):
        return value
    return without_invisible("".join(c for c in value if c.isprintable())).strip()


class DisplayNameForm(FlaskForm):
    """An admin sets the name a staff member's comments carry (empty: their username)."""

    display_name = StringField(
        _l("Display name"),
        filters=[_clean_display_name],
        validators=[Length(max=80, message=_l("At most %(num)d characters.", num=80))],
    )
