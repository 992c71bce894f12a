"""How a reply names the author it answers: the genitive where the dictionary is sure of a
first name («ответ для Гульнары»), wording without declension otherwise, English as is."""

from __future__ import annotations

import pytest
from flask import Flask

from polls_site.comments.names import genitive_name, reply_to_label


@pytest.mark.parametrize(
    ("name", "genitive"),
    [
        # women's names
        ("Гульнара", "Гульнары"),
        ("Мария", "Марии"),
        ("Мадина", "Мадины"),
        ("Эльмира", "Эльмиры"),
        ("Дана", "Даны"),
        ("Алена", "Алены"),  # the author's spelling, not the dictionary's "Алёны"
        ("Алёна", "Алёны"),
        ("Айгерим", "Айгерим"),  # indeclinable: every case reads the same
        ("Асель", "Асель"),
        # men's names
        ("Иван", "Ивана"),
        ("Бакыт", "Бакыта"),
        ("Азамат", "Азамата"),
        ("Нурлан", "Нурлана"),
        ("Павел", "Павла"),
        ("Илья", "Ильи"),
        ("Никита", "Никиты"),
        ("Пётр", "Петра"),
        ("Саша", "Саши"),
        # the case of the original
        ("гульнара", "гульнары"),
        ("ГУЛЬНАРА", "ГУЛЬНАРЫ"),
        # a first name followed by what needs no declension
        ("Гульнара К.", "Гульнары К."),
        ("Азамат 1985", "Азамата 1985"),
        ("Иван ivan_kg", "Ивана ivan_kg"),
    ],
)
def test_known_first_names_are_declined(name: str, genitive: str) -> None:
    assert genitive_name(name) == genitive


@pytest.mark.parametrize(
    "name",
    [
        "Гость123",  # a nickname
        "Гость",  # a word, not a name
        "Админ",
        "Редакция",
        "Любовь",  # mostly the word: «Любви» or «Любови»?
        "Вера",
        "Бек",  # read as a surname
        "Чолпон",  # not in the dictionary as a name
        "Olga",  # Latin script
        "Aigerim",
        "ГульНара",  # mixed case: which to follow?
        "Гульнара Иванова",  # the surname would need declining too
        "Иван Петрович",
        "Анна-Мария",
        "Гульнара!",
        "   ",
        "",
    ],
)
def test_names_the_dictionary_is_not_sure_of_stay_as_written(name: str) -> None:
    assert genitive_name(name) is None


def test_russian_labels_decline_or_avoid_declension(app: Flask) -> None:
    with app.test_request_context("/"):
        assert reply_to_label("Гульнара") == "ответ для Гульнары"
        assert reply_to_label("Гульнара", heading=True) == "Ответ для Гульнары"
        assert reply_to_label("Гость123") == "в ответ: Гость123"
        assert reply_to_label("Гость123", heading=True) == "В ответ: Гость123"
        assert reply_to_label("Olga") == "в ответ: Olga"


def test_english_labels_never_decline(app: Flask) -> None:
    with app.test_request_context("/?lang=en"):
        assert reply_to_label("Гульнара") == "reply to Гульнара"
        assert reply_to_label("Гость123") == "reply to Гость123"
        assert reply_to_label("Гульнара", heading=True) == "Reply to Гульнара"
