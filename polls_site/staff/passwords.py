"""Staff password hashes: scrypt at a configured cost, upgraded on login, hashed few at a time.

werkzeug writes ``scrypt:N:r:p$salt$hash``. The cost is PASSWORD_HASH_COST (N = 2**cost;
17, OWASP's minimum for scrypt, by default), so a hash made at a lower cost, by an
earlier release or before the setting was raised, is rehashed at the next good login.
A hash at N = 2**17 takes 128 MiB and a few hundred milliseconds of one core: at most
PASSWORD_HASH_CONCURRENCY run at once in a process (hashlib releases the GIL, so the
process's other threads keep serving readers meanwhile), and a login that cannot get a
turn within HASH_WAIT_SECONDS is answered "busy, try again" instead of piling up.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import StaffUser

MIN_PASSWORD_LENGTH = 10
HASH_WAIT_SECONDS = 5.0
SCRYPT_R, SCRYPT_P = 8, 1


class HashingBusy(Exception):
    """Every hashing slot of this process stayed taken for HASH_WAIT_SECONDS."""


def hash_method(cost: int) -> str:
    """werkzeug's method string for scrypt with N = 2**cost."""
    return f"scrypt:{2**cost}:{SCRYPT_R}:{SCRYPT_P}"


def init_passwords(app: Flask) -> None:
    """Set up this app's hashing slots and its hash for unknown usernames."""
    app.extensions["password_slots"] = threading.BoundedSemaphore(
        app.config["PASSWORD_HASH_CONCURRENCY"]
    )
    app.extensions["password_dummy"] = None  # made at the first login, at the set cost


@contextmanager
def _slot() -> Iterator[None]:
    slots = current_app.extensions["password_slots"]
    if not slots.acquire(timeout=HASH_WAIT_SECONDS):
        raise HashingBusy
    try:
        yield
    finally:
        slots.release()


def _method() -> str:
    return hash_method(current_app.config["PASSWORD_HASH_COST"])


def hash_password(password: str) -> str:
    """A salted scrypt hash of ``password`` at the configured cost (may raise HashingBusy)."""
    with _slot():
        return generate_password_hash(password, method=_method())


def _dummy_hash() -> str:
    # Checked against when the username is unknown, so that a failed login takes as long
    # whether or not the account exists; made once, at the cost real hashes have.
    extensions = current_app.extensions
    if extensions["password_dummy"] is None:
        extensions["password_dummy"] = hash_password("not a password")
    return extensions["password_dummy"]


def password_matches(user: StaffUser | None, password: str) -> bool:
    """True when ``user`` exists, is active and ``password`` is theirs (constant work;
    may raise HashingBusy)."""
    if user is None:
        dummy = _dummy_hash()
        with _slot():
            check_password_hash(dummy, password)
        return False
    with _slot():
        matches = check_password_hash(user.password_hash, password)
    return matches and user.active


def needs_rehash(password_hash: str) -> bool:
    """True when ``password_hash`` was made otherwise than the configured method."""
    return password_hash.split("$", 1)[0] != _method()


def upgrade_hash(user: StaffUser, password: str) -> bool:
    """Rehash ``user``'s (just verified) ``password`` at the configured cost if its hash is
    older or cheaper; True if it changed (the caller commits)."""
    if not needs_rehash(user.password_hash):
        return False
    user.password_hash = hash_password(password)
    return True
