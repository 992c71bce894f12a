"""The staff area's side of the auto-moderator: its settings, reloading and the test box."""

from __future__ import annotations


def rules_changed() -> None:
    """Tell every process that the word lists or thresholds changed."""
    from ..automod import rules_changed as notify

    notify()


def setting_names() -> list[str]:
    """The thresholds and switches staff may set."""
    return []


def valid_setting(name: str, value: str) -> bool:
    """True when ``value`` is acceptable for setting ``name``."""
    return False
