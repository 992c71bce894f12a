"""The shipped rules against the frozen corpora in tests/data/: the issue's quality bar."""

from __future__ import annotations

from pathlib import Path

import pytest

from polls_site.comments.automod.quality import Quality, measure
from polls_site.comments.automod.rules import Rules

DATA = Path(__file__).resolve().parent.parent / "data"


def load(name: str) -> list[str]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    # obscene.txt is "masking<TAB>text"; innocent.txt is one sentence a line.
    return [line.split("\t", 1)[-1] for line in lines if line.strip()]


@pytest.fixture(scope="module")
def quality() -> Quality:
    return measure(Rules.build(), load("obscene.txt"), load("innocent.txt"))


def test_the_corpora_are_as_large_as_promised(quality: Quality) -> None:
    assert quality.obscene >= 500 and quality.innocent >= 2000


def test_at_least_99_percent_of_the_obscene_set_is_not_published(quality: Quality) -> None:
    assert quality.blocked_share >= 0.99, quality.obscene_published


def test_at_most_half_a_percent_of_the_innocent_set_is_held(quality: Quality) -> None:
    assert quality.held_share <= 0.005, quality.innocent_held
