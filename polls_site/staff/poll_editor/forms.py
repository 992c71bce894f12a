"""Forms of the poll editor: the poll's settings, the current-poll marking, voiding ballots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import get_timezone
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from ...models import ResultsVisibility
from ...polls.sections import SECTION_PATTERN
from ...polls.voiding import MAX_REASON
from .store import PollSettings

VISIBILITY_CHOICES = [
    SelectChoice(ResultsVisibility.ALWAYS.value, _l("Always")),
    SelectChoice(ResultsVisibility.AFTER_VOTE.value, _l("After voting")),
    SelectChoice(ResultsVisibility.AFTER_CLOSE.value, _l("After the poll closes")),
    SelectChoice(ResultsVisibility.NEVER.value, _l("Never (editors only)")),
]


def site_zone() -> ZoneInfo:
    """The site's time zone (BABEL_DEFAULT_TIMEZONE), the one editors type times in."""
    # Flask-Babel may hand out a pytz zone, which must not be used with replace().
    return ZoneInfo(str(get_timezone()))


def site_zone_name(now: datetime | None = None) -> str:
    """The site's zone as editors read it next to a time: «Asia/Almaty (UTC+5)»."""
    zone = site_zone()
    offset = (now or datetime.now(UTC)).astimezone(zone).utcoffset() or timedelta()
    minutes = int(offset.total_seconds()) // 60
    sign, minutes = ("+" if minutes >= 0 else "−"), abs(minutes)
    hours = f"{minutes // 60}" + (f":{minutes % 60:02d}" if minutes % 60 else "")
    return f"{zone.key} (UTC{sign}{hours})"


def to_utc(local: datetime | None) -> datetime | None:
    """A naive time as editors type it (the site's time zone) as an aware UTC time."""
    if local is None:
        return None
    return local.replace(tzinfo=site_zone()).astimezone(UTC)


def to_local(moment: datetime | None) -> datetime | None:
    """An aware time as the form shows it: naive, in the site's time zone."""
    if moment is None:
        return None
    return moment.astimezone(site_zone()).replace(tzinfo=None)


class PollForm(FlaskForm):
    """A poll's settings (the options are rows of their own, see poll_editing)."""

    question = TextAreaField(
        _l("Question"),
        validators=[
            DataRequired(_l("Enter the question.")),
            Length(max=500, message=_l("The question can be at most 500 characters long.")),
        ],
    )
    multiple = BooleanField(_l("Readers may choose several options"))
    max_choices = IntegerField(
        _l("At most this many options"),
        default=1,
        validators=[
            InputRequired(_l("Enter a number.")),
            NumberRange(min=1, max=20, message=_l("Enter a number from 1 to 20.")),
        ],
    )
    results_visibility = SelectField(
        _l("Results are visible"), choices=VISIBILITY_CHOICES, default="always"
    )
    min_sample = IntegerField(
        _l("Show percentages from this many voters"),
        default=0,
        validators=[
            InputRequired(_l("Enter a number.")),
            NumberRange(min=0, max=100000, message=_l("Enter a number from 0 to 100000.")),
        ],
    )
    allow_vote_change = BooleanField(_l("Allow readers to change their vote"))
    opens_at = DateTimeLocalField(_l("Opens at"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    closes_at = DateTimeLocalField(
        _l("Closes at"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )

    def validate(self, extra_validators=None) -> bool:
        """Field checks, plus: the poll closes after it opens."""
        valid = super().validate(extra_validators)
        if self.opens_at.data and self.closes_at.data and self.closes_at.data <= self.opens_at.data:
            self.closes_at.errors = [
                *self.closes_at.errors,
                _l("The poll must close after it opens."),
            ]
            valid = False
        if self.multiple.data is False and self.max_choices.data not in (None, 1):
            self.max_choices.data = 1
        return valid

    def settings(self) -> PollSettings:
        """The validated settings, times in UTC."""
        return PollSettings(
            question=" ".join(self.question.data.split()),
            multiple=bool(self.multiple.data),
            max_choices=self.max_choices.data if self.multiple.data else 1,
            results_visibility=self.results_visibility.data,
            min_sample=self.min_sample.data,
            allow_vote_change=bool(self.allow_vote_change.data),
            opens_at=to_utc(self.opens_at.data),
            closes_at=to_utc(self.closes_at.data),
        )


class CurrentForm(FlaskForm):
    """Make a poll the current one of a portal section."""

    section = StringField(
        _l("Portal section"),
        default="main",
        validators=[
            DataRequired(_l("Enter the section.")),
            Regexp(SECTION_PATTERN, message=_l("Use 1–40 latin letters, digits or dashes.")),
        ],
    )


class VoidForm(FlaskForm):
    """Void ballots (by anomaly flag or picked one by one) with a reason."""

    reason = StringField(
        _l("Reason"),
        validators=[
            DataRequired(_l("Say why the ballots are voided.")),
            Length(max=MAX_REASON, message=_l("The reason is too long.")),
        ],
    )
