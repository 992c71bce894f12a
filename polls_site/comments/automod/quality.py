"""How well rules separate labelled texts: overall shares and precision and recall per rule.

Pure (texts and rules in, numbers out); the corpus test and ``bench/automod_report.py``
both call it, so the figures in the report are the ones CI holds the rules to.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from .rules import APPROVE, Rules, evaluate


@dataclass
class Quality:
    """Outcomes of both sets; ``fired`` counts texts each rule fired on, per set."""

    obscene: int = 0
    innocent: int = 0
    obscene_published: list[str] = field(default_factory=list)
    innocent_held: list[str] = field(default_factory=list)
    fired_obscene: Counter = field(default_factory=Counter)
    fired_innocent: Counter = field(default_factory=Counter)

    @property
    def blocked_share(self) -> float:
        """The share of obscene texts not published (held for review or rejected)."""
        return 1 - len(self.obscene_published) / self.obscene if self.obscene else 1.0

    @property
    def held_share(self) -> float:
        """The share of innocent texts held (review or rejected)."""
        return len(self.innocent_held) / self.innocent if self.innocent else 0.0

    def per_rule(self) -> list[tuple[str, int, int, float, float]]:
        """(rule, fired on obscene, fired on innocent, precision, recall) for every rule."""
        rows = []
        for rule in sorted(set(self.fired_obscene) | set(self.fired_innocent)):
            hits, false = self.fired_obscene[rule], self.fired_innocent[rule]
            precision = hits / (hits + false) if hits + false else 0.0
            rows.append((rule, hits, false, precision, hits / self.obscene))
        return rows


def measure(rules: Rules, obscene: Sequence[str], innocent: Sequence[str]) -> Quality:
    """Evaluate every text of both sets under ``rules`` (no author context)."""
    quality = Quality(obscene=len(obscene), innocent=len(innocent))
    for text in obscene:
        verdict = evaluate(text, rules)
        quality.fired_obscene.update({reason["rule"] for reason in verdict.reasons})
        if verdict.outcome == APPROVE:
            quality.obscene_published.append(text)
    for text in innocent:
        verdict = evaluate(text, rules)
        quality.fired_innocent.update({reason["rule"] for reason in verdict.reasons})
        if verdict.outcome != APPROVE:
            quality.innocent_held.append(text)
    return quality
