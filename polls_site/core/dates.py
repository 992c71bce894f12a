"""The site's one way of writing a moment, on every screen: «12 марта 2026, 14:05».

Pages put it in ``<time datetime="…Z" data-local-time>`` (``time_tag``): the UTC instant,
which ``static/widget.js`` rewrites in the reader's own time zone (a reader in Bishkek
is an hour ahead of the site's Almaty); the server's text names the site's zone, for readers
without scripts and for the staff area: «12 марта 2026, 14:05 (Алматы)».
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from babel.dates import format_datetime, get_timezone_location
from flask_babel import get_locale, get_timezone
from flask_babel import gettext as _
from markupsafe import Markup

# The pattern of babel (CLDR): the day, the month's name in the case a date needs ("марта"),
# the year, the 24-hour clock. widget.js writes the same from Intl.DateTimeFormat.
DATE_TIME_PATTERN = "d MMMM y, HH:mm"


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive one is taken to be UTC already (how the database keeps it)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def utc_iso(moment: datetime) -> str:
    """``moment`` as an ISO 8601 UTC instant to the second: "2026-03-12T09:05:00Z"."""
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_moment(moment: datetime, tz: tzinfo, locale: str) -> str:
    """``moment`` in the site's format, in ``tz``: "12 марта 2026, 14:05"."""
    return format_datetime(as_utc(moment), DATE_TIME_PATTERN, tzinfo=tz, locale=locale)


def zone_city(tz: tzinfo, locale: str) -> str:
    """The zone as readers know it, by its city: "Алматы", "Almaty"."""
    return get_timezone_location(tz, locale=locale, return_city=True)


def site_time(moment: datetime) -> str:
    """``moment`` in the site's zone, named: "12 марта 2026, 14:05 (Алматы)" (a Jinja filter)."""
    tz, locale = get_timezone(), str(get_locale())
    return _(
        "%(when)s (%(zone)s)", when=format_moment(moment, tz, locale), zone=zone_city(tz, locale)
    )


def time_tag(moment: datetime) -> Markup:
    """``site_time`` in a ``<time>`` that widget.js rewrites in the reader's zone."""
    return Markup('<time datetime="{}" data-local-time>{}</time>').format(
        utc_iso(moment), site_time(moment)
    )
