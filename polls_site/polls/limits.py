"""Vote rate limits and dedupe in Redis, in one atomic round trip."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from redis.exceptions import RedisError

from ..config import parse_limit
from ..core.limits import Admission, admit
from ..core.redis import redis_client, rkey

log = logging.getLogger(__name__)

# Fixed windows. The address windows count every attempt (duplicates too, so
# hammering one poll is limited as well). The network window counts only new
# ballots: otherwise one address hammering a poll would use up its neighbours'
# allowance. A reader who has voted is told so before the network window is asked
# (a full network must not answer "too many votes" to someone who only came back).
# The dedupe key is only taken when every window allows the attempt, so a refused
# burst does not burn the reader's one vote.
_ADMIT_VOTE = """
local per_poll = redis.call('INCR', KEYS[1])
if per_poll == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
local per_ip = redis.call('INCR', KEYS[2])
if per_ip == 1 then redis.call('EXPIRE', KEYS[2], ARGV[4]) end
if per_poll > tonumber(ARGV[1]) then return {'limited', redis.call('TTL', KEYS[1])} end
if per_ip > tonumber(ARGV[3]) then return {'limited', redis.call('TTL', KEYS[2])} end
if redis.call('EXISTS', KEYS[3]) == 1 then return {'duplicate', 0} end
if tonumber(redis.call('GET', KEYS[4]) or '0') >= tonumber(ARGV[6]) then
  return {'limited', redis.call('TTL', KEYS[4])}
end
if redis.call('SET', KEYS[3], '1', 'NX', 'EX', ARGV[5]) then
  if redis.call('INCR', KEYS[4]) == 1 then redis.call('EXPIRE', KEYS[4], ARGV[7]) end
  return {'ok', 0}
end
return {'duplicate', 0}
"""


DEDUPE_TTL_OPEN_ENDED = timedelta(days=90)


def dedupe_ttl(closes_at: datetime | None, now: datetime) -> int:
    """Seconds a dedupe key lives: a day past the poll's close, or 90 days if open-ended.

    The database constraint still refuses a second ballot after the key expires.
    """
    if closes_at is not None:
        return max(int((closes_at - now).total_seconds()) + 24 * 3600, 60)
    return int(DEDUPE_TTL_OPEN_ENDED.total_seconds())


def dedupe_key(poll_id: int, voter_key: str) -> str:
    """The Redis key that marks ``voter_key`` as having voted in ``poll_id``."""
    return rkey("voted", poll_id, voter_key)


def admit_vote(poll_id: int, voter_key: str, ip_hash: str, net_hash: str, ttl: int) -> Admission:
    """Count the attempt against the address and network limits; claim the dedupe key.

    ``ip_hash`` and ``net_hash`` are the keyed hashes the limits count under
    (``core.clients.limit_hash`` and ``core.clients.network_limit_hash``).
    """
    config = current_app.config
    per_poll_count, per_poll_window = parse_limit(config["VOTE_LIMIT_IP_POLL"])
    per_ip_count, per_ip_window = parse_limit(config["VOTE_LIMIT_IP"])
    per_net_count, per_net_window = parse_limit(config["VOTE_LIMIT_NET_POLL"])
    keys = [
        rkey("rl", "vote", poll_id, ip_hash),
        rkey("rl", "vote", ip_hash),
        dedupe_key(poll_id, voter_key),
        rkey("rl", "vote-net", poll_id, net_hash),
    ]
    args = [
        per_poll_count,
        per_poll_window,
        per_ip_count,
        per_ip_window,
        ttl,
        per_net_count,
        per_net_window,
    ]
    # Without Redis the database constraint is the only dedupe.
    return admit(_ADMIT_VOTE, keys, args, "vote rate limiting and dedupe")


def release_vote(poll_id: int, voter_key: str) -> None:
    """Give the dedupe key back after the ballot could not be stored, so a retry works."""
    try:
        redis_client().delete(dedupe_key(poll_id, voter_key))
    except RedisError as exc:
        log.warning("could not release dedupe key for poll %s: %s", poll_id, exc)
