"""Who is asking, as far as the site may know: the client address and its keyed hashes.

Raw addresses are never stored: ballots, comments, logins and rate limits use keyed
hashes whose key rotates every IP_HASH_ROTATION_DAYS.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import time

from flask import current_app, request


def keyed_hash(purpose: str, value: str) -> str:
    """A keyed hash of ``value`` for ``purpose``: derived from SECRET_KEY, never reversible."""
    secret = current_app.config["SECRET_KEY"].encode()
    message = f"{purpose}:{value}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]


def client_ip() -> str:
    """The client address; X-Forwarded-For counts only through a configured ProxyFix."""
    return request.remote_addr or "0.0.0.0"


def ip_hash_period(now: float | None = None) -> int:
    """The number of the current IP-hash key period (IP_HASH_ROTATION_DAYS long)."""
    days = current_app.config["IP_HASH_ROTATION_DAYS"]
    return int((time.time() if now is None else now) // (days * 86400))


def ip_hash(ip: str, now: float | None = None) -> str:
    """A keyed hash of an IP address: raw addresses are never stored.

    The key changes every IP_HASH_ROTATION_DAYS (it is derived from SECRET_KEY and
    the period), so one address cannot be followed across periods; ballots keep
    the hash they were stored with.
    """
    return keyed_hash(f"ip:{ip_hash_period(now)}", ip)


def network_hash(ip: str, now: float | None = None) -> str:
    """A keyed hash of the /24 or /64 network of ``ip`` (rotating like ``ip_hash``)."""
    return ip_hash(network_prefix(ip), now)


def limit_subject(ip: str) -> str:
    """What a rate limit counts: an IPv4 address, or the /64 of an IPv6 one.

    One IPv6 subscriber usually holds a whole /64, so counting single addresses would give
    them 2**64 separate allowances.
    """
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    return ip if address.version == 4 else network_prefix(ip)


def limit_hash(ip: str) -> str:
    """The keyed hash rate limits count under (see limit_subject); never stored in SQL."""
    return ip_hash(limit_subject(ip))


def network_limit_hash(ip: str) -> str:
    """The keyed hash the per-network vote limit counts under: the /24, or an IPv6 /48.

    An IPv6 /64 is one subscriber (see limit_subject); a /48 is the usual site.
    """
    return ip_hash(network_prefix(ip, ipv6_bits=48))


def network_prefix(ip: str, ipv6_bits: int = 64) -> str:
    """The /24 (IPv4) or /``ipv6_bits`` (IPv6) network an address belongs to."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    bits = 24 if address.version == 4 else ipv6_bits
    return str(ipaddress.ip_network(f"{address}/{bits}", strict=False))
