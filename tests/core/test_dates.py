"""The site's one date format: «12 марта 2026, 14:05», the site's zone named without a
script, and a <time> whose datetime is the UTC instant for the reader's script."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import Flask

from polls_site.core.dates import format_moment, site_time, time_tag, utc_iso, zone_city

ALMATY = ZoneInfo("Asia/Almaty")  # UTC+5
MOMENT = datetime(2026, 3, 12, 9, 5, tzinfo=UTC)


def test_one_format_in_either_language() -> None:
    assert format_moment(MOMENT, ALMATY, "ru") == "12 марта 2026, 14:05"
    assert format_moment(MOMENT, ALMATY, "en") == "12 March 2026, 14:05"
    # Almaty was UTC+6 until March 2024: the offset of the day, not today's.
    assert format_moment(datetime(2012, 10, 24, 12, 0, tzinfo=UTC), ALMATY, "ru") == (
        "24 октября 2012, 18:00"
    )


def test_the_day_is_the_zone_s() -> None:
    # 20:30 UTC on the 11th is already the 12th in Almaty.
    assert format_moment(datetime(2026, 3, 11, 20, 30, tzinfo=UTC), ALMATY, "ru") == (
        "12 марта 2026, 01:30"
    )


def test_the_instant_is_written_in_utc_whatever_it_came_in() -> None:
    assert utc_iso(MOMENT) == "2026-03-12T09:05:00Z"
    assert utc_iso(MOMENT.astimezone(timezone(timedelta(hours=6)))) == "2026-03-12T09:05:00Z"
    assert utc_iso(datetime(2026, 3, 12, 9, 5)) == "2026-03-12T09:05:00Z"  # naive: UTC


def test_the_zone_is_named_by_its_city() -> None:
    assert zone_city(ALMATY, "ru") == "Алматы"
    assert zone_city(ALMATY, "en") == "Almaty"


def test_pages_name_the_site_s_zone_and_give_the_script_the_instant(app: Flask) -> None:
    with app.test_request_context("/"):
        assert site_time(MOMENT) == "12 марта 2026, 14:05 (Алматы)"
        assert str(time_tag(MOMENT)) == (
            '<time datetime="2026-03-12T09:05:00Z" data-local-time>'
            "12 марта 2026, 14:05 (Алматы)</time>"
        )
    with app.test_request_context("/?lang=en"):
        assert site_time(MOMENT) == "12 March 2026, 14:05 (Almaty)"
