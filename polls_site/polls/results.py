"""Pure functions that turn vote counts into what the widget shows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TypedDict


class ResultRow(TypedDict):
    """One option's line in a results snapshot."""

    option_id: int
    votes: int
    percent: int


def largest_remainder_percents(counts: Sequence[int]) -> list[int]:
    """Integer percentages of ``counts`` that sum to exactly 100 (0 each when all are 0).

    Each option first gets the floor of its exact share; the points still missing go
    to the largest remainders. Equal remainders go to the larger count, then to the
    option the editors put first, so the result never depends on dict or sort luck.
    """
    if any(c < 0 for c in counts):
        raise ValueError("counts must not be negative")
    total = sum(counts)
    if total == 0:
        return [0] * len(counts)
    # Integer arithmetic: remainders compared exactly, no float rounding.
    floors = [c * 100 // total for c in counts]
    remainders = [c * 100 % total for c in counts]
    missing = 100 - sum(floors)
    ranked = sorted(range(len(counts)), key=lambda i: (-remainders[i], -counts[i], i))
    for i in ranked[:missing]:
        floors[i] += 1
    return floors


def build_rows(option_ids: Sequence[int], counts: Mapping[int, int]) -> list[ResultRow]:
    """Rows for ``option_ids`` (in the editors' order), sorted by share.

    Options without votes count 0; ties keep the editors' order.
    """
    votes = [int(counts.get(option_id, 0)) for option_id in option_ids]
    percents = largest_remainder_percents(votes)
    order = sorted(range(len(option_ids)), key=lambda i: (-votes[i], i))
    return [ResultRow(option_id=option_ids[i], votes=votes[i], percent=percents[i]) for i in order]


def add_votes(
    option_ids: Sequence[int], rows: Iterable[ResultRow], chosen: Iterable[int]
) -> list[ResultRow]:
    """The rows as they will be once the ``chosen`` options get one more vote each.

    Used to show a reader their own vote at once, before the worker's next snapshot.
    """
    counts = {row["option_id"]: row["votes"] for row in rows}
    for option_id in chosen:
        counts[option_id] = counts.get(option_id, 0) + 1
    return build_rows(option_ids, counts)
