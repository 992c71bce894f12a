"""Pure functions for the editors' results analytics: votes over time and anomaly flags.

Everything here takes plain values (no database, no request), so each rule has
direct unit tests; ``staff/poll_editor/`` (``store``, ``results``) loads the ballots and
renders the page.
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from .results import largest_remainder_percents

UNITS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}

# The anomaly rules and their thresholds (see flag_ballots).
FLAG_NETWORK_BURST = "network_burst"
FLAG_NO_COOKIE = "no_cookie"
FLAG_TOO_FAST = "too_fast"
FLAGS = (FLAG_NETWORK_BURST, FLAG_NO_COOKIE, FLAG_TOO_FAST)


@dataclass(frozen=True)
class BallotFacts:
    """What the analytics know about one ballot (no IP address, only keyed hashes)."""

    id: int
    created_at: datetime
    voter_key: str
    net_hash: str | None
    read_seconds: float | None
    option_ids: tuple[int, ...]
    voided: bool = False


@dataclass(frozen=True)
class ChangeFacts:
    """A reader's change of vote: which ballot, when, and the choices before and after."""

    ballot_id: int
    changed_at: datetime
    old_options: tuple[int, ...]
    new_options: tuple[int, ...]


def vote_events(
    ballots: Iterable[BallotFacts], changes: Iterable[ChangeFacts]
) -> list[tuple[datetime, Counter[int]]]:
    """Each ballot and each change as (moment, votes gained per option; lost are negative).

    A ballot's ``option_ids`` are its current choices: with changes, the ballot first
    counted its first change's old options, and each change then moves them at its
    own time, so a change is never counted twice nor back-dated to the ballot. Changes
    of ballots not given (voided ones) are left out.
    """
    by_ballot: dict[int, list[ChangeFacts]] = defaultdict(list)
    for change in sorted(changes, key=lambda c: c.changed_at):
        by_ballot[change.ballot_id].append(change)
    events: list[tuple[datetime, Counter[int]]] = []
    for ballot in ballots:
        own = by_ballot.get(ballot.id, [])
        first = own[0].old_options if own else ballot.option_ids
        events.append((ballot.created_at, Counter(first)))
        for change in own:
            moved: Counter[int] = Counter(change.new_options)
            moved.subtract(change.old_options)
            events.append((change.changed_at, moved))
    return events


@dataclass(frozen=True)
class Thresholds:
    """When ballots look automated rather than read and answered by people."""

    # More than this many ballots from one network within burst_window.
    burst_count: int = 20
    burst_window: timedelta = timedelta(minutes=10)
    # A cookieless ballot is flagged when its network cast at least this many of them.
    no_cookie_per_network: int = 5
    # Fewer seconds than this between the form being shown and the vote.
    min_read_seconds: float = 2.0
    # Without a reading time: more than this many ballots within one second.
    per_second: int = 5


def bucket_start(moment: datetime, unit: str) -> datetime:
    """The start of the hour or day that ``moment`` falls in (in its own time zone)."""
    if unit == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    if unit == "day":
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    raise ValueError(f"unknown unit {unit!r}")


def votes_over_time(
    moments: Iterable[datetime], unit: str, end: datetime | None = None
) -> list[tuple[datetime, int]]:
    """Ballots per hour or day, from the first ballot's bucket to ``end``'s, gaps as zeros."""
    counts = Counter(bucket_start(m, unit) for m in moments)
    if not counts:
        return []
    step = UNITS[unit]
    current = min(counts)
    last = max(counts) if end is None else max(max(counts), bucket_start(end, unit))
    series = []
    while current <= last:
        series.append((current, counts.get(current, 0)))
        current += step
    return series


def option_trends(
    ballots: Iterable[BallotFacts],
    option_ids: Sequence[int],
    unit: str,
    changes: Iterable[ChangeFacts] = (),
) -> tuple[list[datetime], dict[int, list[int]]]:
    """Each option's cumulative share (integer percent, summing to 100) at each bucket's end.

    A vote change is placed at its time (see ``vote_events``).
    """
    per_bucket: dict[datetime, Counter[int]] = defaultdict(Counter)
    for moment, moved in vote_events(ballots, changes):
        per_bucket[bucket_start(moment, unit)].update(moved)
    buckets = [start for start, _count in votes_over_time(per_bucket, unit)]
    running: Counter[int] = Counter()
    trends: dict[int, list[int]] = {option_id: [] for option_id in option_ids}
    for start in buckets:
        running.update(per_bucket.get(start, Counter()))
        percents = largest_remainder_percents([running[o] for o in option_ids])
        for option_id, percent in zip(option_ids, percents, strict=True):
            trends[option_id].append(percent)
    return buckets, trends


def _network_bursts(ballots: Sequence[BallotFacts], limits: Thresholds) -> set[int]:
    flagged: set[int] = set()
    by_network: dict[str, list[BallotFacts]] = defaultdict(list)
    for ballot in ballots:
        if ballot.net_hash:
            by_network[ballot.net_hash].append(ballot)
    for group in by_network.values():
        window: deque[BallotFacts] = deque()
        for ballot in sorted(group, key=lambda b: b.created_at):
            window.append(ballot)
            while ballot.created_at - window[0].created_at > limits.burst_window:
                window.popleft()
            if len(window) > limits.burst_count:
                flagged.update(b.id for b in window)
    return flagged


def _cookieless(ballots: Sequence[BallotFacts], limits: Thresholds) -> set[int]:
    without = [b for b in ballots if b.voter_key.startswith("f:")]
    per_network = Counter(b.net_hash for b in without)
    return {b.id for b in without if per_network[b.net_hash] >= limits.no_cookie_per_network}


def _too_fast(ballots: Sequence[BallotFacts], limits: Thresholds) -> set[int]:
    flagged = {
        b.id
        for b in ballots
        if b.read_seconds is not None and b.read_seconds < limits.min_read_seconds
    }
    # Ballots without a reading time: many within the same second is not people reading.
    per_second: dict[datetime, list[int]] = defaultdict(list)
    for b in ballots:
        if b.read_seconds is None:
            per_second[b.created_at.replace(microsecond=0)].append(b.id)
    for ids in per_second.values():
        if len(ids) > limits.per_second:
            flagged.update(ids)
    return flagged


def flag_ballots(
    ballots: Sequence[BallotFacts], limits: Thresholds | None = None
) -> dict[str, set[int]]:
    """Ballot ids under each anomaly flag.

    network_burst: more than ``burst_count`` ballots from one /24 (or /64) network
    within ``burst_window``. no_cookie: ballots without a voter cookie from a network
    that cast at least ``no_cookie_per_network`` of them. too_fast: voted sooner than
    ``min_read_seconds`` after the form was shown (a lower bound, so never a false
    alarm), or, without that time, more than ``per_second`` ballots in one second.
    """
    limits = limits or Thresholds()
    return {
        FLAG_NETWORK_BURST: _network_bursts(ballots, limits),
        FLAG_NO_COOKIE: _cookieless(ballots, limits),
        FLAG_TOO_FAST: _too_fast(ballots, limits),
    }
