"""The auto-moderator's reasons as sentences a moderator reads."""

from __future__ import annotations

from typing import Any


def describe(reason: dict[str, Any]) -> str:
    """The rule, its score and its detail as one line."""
    rule = reason.get("rule", "?")
    detail = reason.get("detail") or ""
    score = reason.get("score")
    text = f"{rule} ({score:+d})" if isinstance(score, int) else str(rule)
    return f"{text}: {detail}" if detail else text
