"""Analytics: votes over time, per-option trends, anomaly flags and the SVG chart."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from polls_site.polls.analytics import (
    BallotFacts,
    ChangeFacts,
    Thresholds,
    bucket_start,
    flag_ballots,
    option_trends,
    vote_events,
    votes_over_time,
)
from polls_site.staff.poll_editor.charts import (
    MARKERS,
    PALETTE,
    Series,
    chart_table,
    line_chart,
    style_of,
)

T0 = datetime(2026, 11, 2, 9, 15, tzinfo=UTC)


def facts(i, at, key=None, net="n1", read=30.0, options=(1,)) -> BallotFacts:
    return BallotFacts(i, at, key or f"c:{i}", net, read, tuple(options))


def test_buckets_fill_gaps_with_zeros() -> None:
    moments = [T0, T0 + timedelta(minutes=30), T0 + timedelta(hours=3, minutes=1)]
    series = votes_over_time(moments, "hour")
    assert [count for _start, count in series] == [2, 0, 0, 1]
    assert series[0][0] == datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    assert [c for _s, c in votes_over_time(moments, "day", end=T0 + timedelta(days=2))] == [3, 0, 0]
    assert votes_over_time([], "hour") == []
    with pytest.raises(ValueError):
        bucket_start(T0, "week")


def test_option_trends_are_cumulative_shares() -> None:
    ballots = [
        facts(1, T0, options=(1,)),
        facts(2, T0 + timedelta(hours=1), options=(2,)),
        facts(3, T0 + timedelta(hours=1, minutes=5), options=(2,)),
        facts(4, T0 + timedelta(hours=1, minutes=6), options=(2,)),
    ]
    buckets, trends = option_trends(ballots, [1, 2], "hour")
    assert len(buckets) == 2
    assert trends == {1: [100, 25], 2: [0, 75]}


def test_network_burst_flags_only_the_crowded_window() -> None:
    limits = Thresholds(burst_count=3, burst_window=timedelta(minutes=1))
    burst = [facts(i, T0 + timedelta(seconds=i), net="hot") for i in range(4)]
    spread = [facts(10 + i, T0 + timedelta(minutes=5 * i), net="hot") for i in range(1, 4)]
    other = [facts(20 + i, T0 + timedelta(seconds=i), net=f"n{i}") for i in range(5)]
    flags = flag_ballots(burst + spread + other, limits)
    assert flags["network_burst"] == {0, 1, 2, 3}


def test_cookieless_votes_from_one_network() -> None:
    limits = Thresholds(no_cookie_per_network=3)
    crowd = [facts(i, T0 + timedelta(minutes=i), key=f"f:{i}", net="cafe") for i in range(3)]
    lone = [facts(9, T0, key="f:9", net="home")]
    assert flag_ballots(crowd + lone, limits)["no_cookie"] == {0, 1, 2}


def test_too_fast_by_reading_time_or_by_bursts_per_second() -> None:
    limits = Thresholds(min_read_seconds=2.0, per_second=2)
    quick = facts(1, T0, read=0.4)
    slow = facts(2, T0, read=12.0)
    unknown_burst = [
        facts(10 + i, T0 + timedelta(milliseconds=100 * i), read=None) for i in range(3)
    ]
    unknown_calm = [facts(20, T0 + timedelta(seconds=5), read=None)]
    flags = flag_ballots([quick, slow, *unknown_burst, *unknown_calm], limits)
    assert flags["too_fast"] == {1, 10, 11, 12}


def test_svg_chart_has_one_point_per_bucket_with_the_totals() -> None:
    moments = [T0] * 3 + [T0 + timedelta(hours=2)] * 5
    series = votes_over_time(moments, "hour")
    labels = [start.strftime("%H:%M") for start, _ in series]
    svg = str(line_chart(labels, [Series("votes", [c for _, c in series])], title="Голоса"))
    values = [int(v) for v in re.findall(r'<circle class="point"[^>]*data-value="(\d+)"', svg)]
    assert values == [3, 0, 5]
    assert sum(values) == len(moments)
    assert "style=" not in svg and "<script" not in svg
    assert svg.startswith("<svg") and 'role="img"' in svg
    # The highest point is at the top of the plot, zero on the axis.
    ys = [float(y) for y in re.findall(r'<circle class="point" cx="[\d.]+" cy="([\d.]+)"', svg)]
    assert ys[2] < ys[0] < ys[1]


def test_svg_chart_escapes_labels_and_checks_lengths() -> None:
    svg = str(line_chart(['<b>"x"</b>'], [Series("a&b", [1])], title="t"))
    assert "<b>" not in svg and "&lt;b&gt;" in svg and "a&amp;b" in svg
    with pytest.raises(ValueError):
        line_chart(["a", "b"], [Series("s", [1])], title="t")


def test_a_vote_change_moves_one_vote_at_its_own_time() -> None:
    start = datetime(2026, 12, 1, 10, 5, tzinfo=UTC)
    ballots = [
        BallotFacts(1, start, "c:a", None, None, (2,)),  # now for option 2, was for 1
        BallotFacts(2, start, "c:b", None, None, (1,)),
    ]
    changes = [ChangeFacts(1, start + timedelta(hours=2), (1,), (2,))]
    buckets, trends = option_trends(ballots, [1, 2], "hour", changes)
    assert len(buckets) == 3
    # Both for option 1 until the change at 12:05; then one each. Never three votes.
    assert trends == {1: [100, 100, 50], 2: [0, 0, 50]}
    totals = [sum(moved.values()) for _at, moved in vote_events(ballots, changes)]
    assert sorted(totals) == [0, 1, 1]  # two ballots add a vote each; the change adds none


def test_a_period_not_over_yet_is_drawn_and_named_as_such() -> None:
    labels = ["09:00", "10:00", "11:00"]
    svg = str(
        line_chart(
            labels,
            [Series("A", [4, 6, 1]), Series("B", [2, 2, 0])],
            title="t",
            partial="час не закончился",
        )
    )
    assert svg.count('class="line partial"') == 2  # one unfinished segment per series
    assert svg.count('class="point partial"') == 2
    assert svg.count('class="partial-band"') == 1
    # The solid line stops at the last finished hour.
    solid = re.findall(r'<polyline class="line" fill="none" points="([^"]*)"', svg)
    assert [len(points.split()) for points in solid] == [2, 2]
    assert "A, 11:00: 1 (час не закончился)" in svg
    finished = str(line_chart(labels, [Series("A", [4, 6, 1])], title="t"))
    assert "partial" not in finished


def test_series_differ_by_more_than_colour() -> None:
    svg = str(line_chart(["a", "b"], [Series(str(i), [i, i]) for i in range(4)], title="t"))
    groups = re.findall(r'<g class="series series-(\d)"[^>]*>(.*?)</g>', svg)
    assert [number for number, _body in groups] == ["0", "1", "2", "3"]
    points = [re.search(r'<(\w+) class="point', body).group(1) for _n, body in groups]
    assert len(set(points[:2])) == 2 and points[2] == points[3] == "polygon"
    assert {m for _c, m in map(style_of, range(4))} == set(MARKERS)


def test_the_palette_is_okabe_ito_in_the_stylesheet() -> None:
    css = (Path(__file__).parents[2] / "static" / "staff-polls.css").read_text()
    strokes = re.findall(
        r"\.series-(\d) \.line \{ stroke: (#[0-9A-Fa-f]{6}); stroke-dasharray: ([^;]+);", css
    )
    assert [colour.upper() for _n, colour, _dash in strokes] == list(PALETTE)
    assert PALETTE[:3] == ("#0072B2", "#E69F00", "#009E73")  # no red beside green
    assert len({dash for _n, _c, dash in strokes[:4]}) == 4


def test_the_chart_table_holds_the_same_numbers() -> None:
    table = str(
        chart_table(
            ["09:00", "10:00"],
            [Series("Да", [60, 55]), Series("Нет", [40, 45])],
            caption="Доли",
            period="Час",
            unit="%",
            partial="час не закончился",
        )
    )
    assert table.startswith('<table class="chart-table"><caption>Доли</caption>')
    assert '<th scope="col">Час</th><th scope="col">Да</th><th scope="col">Нет</th>' in table
    assert '<tr><th scope="row">09:00</th><td>60%</td><td>40%</td></tr>' in table
    assert '<tr class="partial"><th scope="row">10:00 (час не закончился)</th>' in table
