"""Rule and setting names as people read them: staff's labels and readers' categories."""

from __future__ import annotations

import inspect
import re

from flask import Flask
from flask_babel import force_locale

from polls_site.comments.automod import rules
from polls_site.comments.automod.labels import (
    READER_CATEGORIES,
    RULE_LABELS,
    SETTING_LABELS,
    reader_categories,
    rule_label,
)


def rule_names() -> set[str]:
    """Every rule name rules.py writes into a reason, and the job's premoderation."""
    source = inspect.getsource(rules)
    written = set(re.findall(r'_reason\(\s*"(\w+)"', source))
    by_rule = set(re.findall(r'^\s*"(\w+_word)": ', source, re.MULTILINE))
    return written | by_rule | {"premoderation"}


def test_every_rule_and_setting_has_its_labels() -> None:
    assert {"banned_word", "masked_word", "links", "velocity"} <= rule_names()
    assert set(RULE_LABELS) == rule_names() == set(READER_CATEGORIES)
    assert set(SETTING_LABELS) == set(rules.default_settings())


def test_labels_are_russian_and_english(app: Flask) -> None:
    with app.test_request_context():
        assert rule_label("banned_word") == "Запрещённые слова"
        assert rule_label("something_new") == "something_new"
        assert str(SETTING_LABELS["review_at"][0]) == "Порог проверки"
        with force_locale("en"):
            assert rule_label("banned_word") == "Banned words"


def test_reader_categories_strongest_first_once_and_only_scoring(app: Flask) -> None:
    reasons = [
        {"rule": "velocity", "score": 50},
        {"rule": "masked_word", "score": 40, "detail": "х*й"},
        {"rule": "guessed_word", "score": 40, "detail": "хуйло"},
        {"rule": "banned_word", "score": 100, "detail": "мудак"},
        {"rule": "premoderation", "score": 0, "detail": "site"},
        {"rule": "unknown", "score": 10},
        "not a reason",
    ]
    with app.test_request_context():
        assert reader_categories(reasons) == [
            "нецензурная лексика, оскорбления или спам",
            "слишком часто",
            "нецензурная лексика",
        ]
        assert reader_categories(None) == [] and reader_categories([]) == []
