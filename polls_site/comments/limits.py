"""Rate limits of the comment widget in Redis: comments (and edits) per IP and per reader,
a thread's slow mode per reader, likes per IP, reports per IP and per reader, new threads
per IP. Each check is one atomic round trip answering an Admission;
widget/notices.limit_refusal words the refusal."""

from __future__ import annotations

from flask import current_app

from ..config import parse_limit
from ..core.limits import Admission, admit
from ..core.redis import rkey

# Fixed windows. Both counters count every admitted-or-not attempt, so a refused burst
# keeps its window; the longer remaining wait is what the reader is told.
_ADMIT_TWO = """
local per_ip = redis.call('INCR', KEYS[1])
if per_ip == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
local per_voter = redis.call('INCR', KEYS[2])
if per_voter == 1 then redis.call('EXPIRE', KEYS[2], ARGV[4]) end
local wait = 0
if per_ip > tonumber(ARGV[1]) then wait = redis.call('TTL', KEYS[1]) end
if per_voter > tonumber(ARGV[3]) then wait = math.max(wait, redis.call('TTL', KEYS[2])) end
if wait ~= 0 then return {'limited', wait} end
return {'ok', 0}
"""


def admit_comment(voter_key: str, ip_hash: str) -> Admission:
    """Count one comment against COMMENT_LIMIT_IP and COMMENT_LIMIT_VOTER.

    Without Redis the comment is let through (logged): it still waits for moderation.
    """
    ip_count, ip_window = parse_limit(current_app.config["COMMENT_LIMIT_IP"])
    voter_count, voter_window = parse_limit(current_app.config["COMMENT_LIMIT_VOTER"])
    keys = [rkey("rl", "comment", "ip", ip_hash), rkey("rl", "comment", "voter", voter_key)]
    args = [ip_count, ip_window, voter_count, voter_window]
    return admit(_ADMIT_TWO, keys, args, "comment rate limits")


def admit_like(ip_hash: str, comment_id: int) -> Admission:
    """Count one like against LIKE_LIMIT_IP_COMMENT and LIKE_LIMIT_IP (let through without
    Redis: the primary key still allows one like per reader)."""
    one_count, one_window = parse_limit(current_app.config["LIKE_LIMIT_IP_COMMENT"])
    all_count, all_window = parse_limit(current_app.config["LIKE_LIMIT_IP"])
    keys = [rkey("rl", "like", "ip", ip_hash, comment_id), rkey("rl", "like", "ip", ip_hash)]
    return admit(_ADMIT_TWO, keys, [one_count, one_window, all_count, all_window], "like limits")


def admit_report(voter_key: str, ip_hash: str) -> Admission:
    """Count one report against REPORT_LIMIT_IP and REPORT_LIMIT_VOTER (let through without
    Redis: the unique key still allows one report per reader per comment)."""
    ip_count, ip_window = parse_limit(current_app.config["REPORT_LIMIT_IP"])
    voter_count, voter_window = parse_limit(current_app.config["REPORT_LIMIT_VOTER"])
    keys = [rkey("rl", "report", "ip", ip_hash), rkey("rl", "report", "voter", voter_key)]
    args = [ip_count, ip_window, voter_count, voter_window]
    return admit(_ADMIT_TWO, keys, args, "report limits")


# A fixed window: INCR, and the window starts with the first attempt.
_ADMIT_ONE = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if count > tonumber(ARGV[1]) then return {'limited', redis.call('TTL', KEYS[1])} end
return {'ok', 0}
"""


def admit_thread_open(ip_hash: str) -> Admission:
    """Count one new thread against THREAD_OPEN_LIMIT_IP (let through without Redis)."""
    count, window = parse_limit(current_app.config["THREAD_OPEN_LIMIT_IP"])
    keys = [rkey("rl", "thread", "ip", ip_hash)]
    return admit(_ADMIT_ONE, keys, [count, window], "thread opening limit")


def admit_slow(thread_id: int, voter_key: str, seconds: int) -> Admission:
    """Slow mode: one comment (or edit) per reader per ``seconds`` in this thread; the
    window starts with the reader's first comment. Let through without Redis."""
    keys = [rkey("rl", "slow", thread_id, voter_key)]
    return admit(_ADMIT_ONE, keys, [1, seconds], "slow mode")
