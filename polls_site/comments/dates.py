"""Comment dates as readers of the portal read them: "Сегодня 07:36", "Вчера 18:00",
"24 октября 2012 18:00", in the site's time zone."""

from __future__ import annotations

from datetime import datetime, tzinfo

from babel.dates import format_date, format_time
from flask_babel import get_locale, get_timezone
from flask_babel import gettext as _

from ..models import utcnow


def day_offset(moment: datetime, now: datetime, tz: tzinfo) -> int:
    """How many calendar days (in ``tz``) ``moment`` lies before ``now``: 0 today, 1 yesterday."""
    return (now.astimezone(tz).date() - moment.astimezone(tz).date()).days


def relative_date(
    moment: datetime, now: datetime, tz: tzinfo, locale: str, today: str, yesterday: str
) -> str:
    """``moment`` as "<today> HH:MM", "<yesterday> HH:MM" or "d MMMM yyyy HH:MM" in ``tz``.

    ``today`` and ``yesterday`` are the translated words; babel supplies month names in
    the grammatical case a date needs ("24 октября").
    """
    local = moment.astimezone(tz)
    clock = format_time(local, "HH:mm", locale=locale)
    offset = day_offset(moment, now, tz)
    if offset == 0:
        return f"{today} {clock}"
    if offset == 1:
        return f"{yesterday} {clock}"
    return f"{format_date(local.date(), 'd MMMM y', locale=locale)} {clock}"


def comment_date(moment: datetime, now: datetime | None = None) -> str:
    """``relative_date`` in the request's locale and the site's time zone (a Jinja filter)."""
    return relative_date(
        moment,
        now or utcnow(),
        get_timezone(),
        str(get_locale()),
        _("Today"),
        _("Yesterday"),
    )


def local_day(now: datetime | None = None) -> str:
    """Today's date in the site's time zone: rendered relative dates are valid for this day."""
    return (now or utcnow()).astimezone(get_timezone()).date().isoformat()
