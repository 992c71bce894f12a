"""Comment text with the auto-moderator's matches marked, escaped before it is marked up."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from markupsafe import Markup, escape


def merged_spans(text_length: int, reasons: Iterable[dict[str, Any]]) -> list[tuple[int, int]]:
    """The reasons' ``spans`` clipped to the text, sorted, overlaps merged; junk ignored."""
    spans = []
    for reason in reasons:
        for span in reason.get("spans") or []:
            try:
                start, end = int(span[0]), int(span[1])
            except (TypeError, ValueError, IndexError):
                continue
            start, end = max(start, 0), min(end, text_length)
            if start < end:
                spans.append((start, end))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight(text: str, reasons: Iterable[dict[str, Any]]) -> Markup:
    """``text`` escaped, with every matched span wrapped in ``<mark>``."""
    parts = []
    position = 0
    for start, end in merged_spans(len(text), reasons):
        parts.append(escape(text[position:start]))
        parts.append(Markup("<mark>%s</mark>") % text[start:end])
        position = end
    parts.append(escape(text[position:]))
    return Markup("").join(parts)
