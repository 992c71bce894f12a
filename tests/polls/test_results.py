"""Percentages by the largest-remainder method: exact sums, fair rounding, stable order."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from polls_site.polls.results import add_votes, build_rows, largest_remainder_percents

counts_lists = st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=20)


def test_seed_poll_matches_the_portal() -> None:
    assert largest_remainder_percents([462, 343, 194, 179, 179, 135]) == [31, 23, 13, 12, 12, 9]


def test_zero_total_gives_zero_everywhere() -> None:
    assert largest_remainder_percents([0, 0, 0]) == [0, 0, 0]
    assert largest_remainder_percents([]) == []


def test_equal_remainders_go_to_the_editors_first_option() -> None:
    assert largest_remainder_percents([1, 1, 1]) == [34, 33, 33]
    assert largest_remainder_percents([1, 1, 1, 1, 1, 1]) == [17, 17, 17, 17, 16, 16]


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError):
        largest_remainder_percents([3, -1])


@given(counts_lists.filter(lambda c: sum(c) > 0))
def test_percentages_sum_to_100_and_stay_within_one_point(counts: list[int]) -> None:
    percents = largest_remainder_percents(counts)
    assert sum(percents) == 100
    total = sum(counts)
    for count, percent in zip(counts, percents, strict=True):
        assert abs(Fraction(percent) - Fraction(100 * count, total)) < 1


@given(counts_lists)
def test_more_votes_never_show_a_smaller_percentage(counts: list[int]) -> None:
    percents = largest_remainder_percents(counts)
    for i, a in enumerate(counts):
        for j, b in enumerate(counts):
            if a > b:
                assert percents[i] >= percents[j]


@given(counts_lists)
def test_rows_are_sorted_by_share_with_ties_in_editors_order(counts: list[int]) -> None:
    option_ids = [100 + i for i in range(len(counts))]
    rows = build_rows(option_ids, dict(zip(option_ids, counts, strict=True)))
    keys = [(-r["votes"], option_ids.index(r["option_id"])) for r in rows]
    assert keys == sorted(keys)
    assert sorted(r["option_id"] for r in rows) == option_ids
    assert [r["percent"] for r in rows] == sorted((r["percent"] for r in rows), reverse=True)


def test_options_without_votes_are_listed_with_zero() -> None:
    rows = build_rows([1, 2, 3], {2: 5})
    assert rows == [
        {"option_id": 2, "votes": 5, "percent": 100},
        {"option_id": 1, "votes": 0, "percent": 0},
        {"option_id": 3, "votes": 0, "percent": 0},
    ]


def test_adding_own_vote_recomputes_percentages() -> None:
    rows = build_rows([1, 2], {1: 1, 2: 1})
    assert [r["percent"] for r in rows] == [50, 50]
    mine = add_votes([1, 2], rows, [2])
    assert mine[0] == {"option_id": 2, "votes": 2, "percent": 67}
    assert mine[1] == {"option_id": 1, "votes": 1, "percent": 33}
