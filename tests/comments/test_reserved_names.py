"""Reserved author names: the portal's and the staff's, look-alike spellings included."""

from __future__ import annotations

import pytest
from flask import Flask

from polls_site.comments.reserved_names import (
    forget_staff_names,
    is_reserved,
    occurs,
    skeleton,
    staff_names,
)
from polls_site.models import Role
from tests.support.comments import Commenting, comment_rows
from tests.support.factories import make_staff, make_thread
from tests.support.staff import logged_in

RESERVED = ["News-Asia", "Редакция", "Модератор", "Администратор"]


@pytest.mark.parametrize(
    "name",
    [
        "Редакция",
        "Редакция News-Asia",
        "РЕДАКЦИЯ",
        "PEДAKЦИЯ",  # Latin P, E, A, K
        "Рeдaкция",  # Latin e, a
        "Р е д а к ц и я",
        "Ред\u200bакция",  # a zero-width space
        "Реддакция",
        "news asia",
        "Модератор Айгуль",
        "moder",  # a staff username
        "MODER",
    ],
)
def test_reserved_spellings(name: str) -> None:
    assert is_reserved(name, RESERVED, ["moder"])


@pytest.mark.parametrize("name", ["Айгуль", "Редактор вкуса", "Asia", "moderator_fan", "Иван"])
def test_ordinary_names(name: str) -> None:
    assert not is_reserved(name, RESERVED, ["moder"])


@pytest.mark.parametrize(
    "name",
    [
        "Р3дакция",  # 3 for е
        "Pедакци9",  # Latin P, 9 for я
        "Редакци9",
        "Р3едакция",  # a digit and the letter it stands for, side by side
        "Ред@кция",
        "М0дератор",
        "Модерат0р",
        "N3ws-Asia",
        "Анна Иван0ва",  # a staff display name
        "AHHA ИBAHOBA",  # Latin A, H, B, O
    ],
)
def test_digits_and_signs_standing_for_letters(name: str) -> None:
    assert is_reserved(name, RESERVED, ["moder", "Анна Иванова"])


@pytest.mark.parametrize("name", ["Зоя 1990", "3оя", "Айгуль 4", "Иван 3-й", "Анна", "Редактор 9"])
def test_names_with_digits_that_stand_for_nothing_reserved(name: str) -> None:
    assert not is_reserved(name, RESERVED, ["moder", "Анна Иванова"])


def test_occurs_reads_each_character_once_or_repeated() -> None:
    assert occurs("зе", "3") is False
    assert occurs("зе", "33") and occurs("зе", "з3") and occurs("зе", "3е")
    assert occurs("ана", "xxанна", whole=False) and not occurs("ана", "xxанна", whole=True)
    assert occurs("ана", "анна", whole=True)
    # A digit read as two neighbouring letters cannot make the matcher backtrack.
    assert occurs("зе" * 40, "3" * 80, whole=True)
    assert not occurs("зе" * 40, "3" * 79 + "ж", whole=True)
    assert not occurs("", "что угодно")


def test_staff_names_are_cached_briefly_and_forgotten_on_change(app: Flask) -> None:
    app.config["RESERVED_NAMES_CACHE_SECONDS"] = 60
    make_staff(app, "first", Role.MODERATOR)
    with app.app_context():
        assert staff_names() == ("first",)
        make_staff(app, "second", Role.EDITOR, active=False)
        assert staff_names() == ("first",)  # within the cache's lifetime
        forget_staff_names()
        # A disabled account's name stays reserved: nobody may pass for a former editor.
        assert sorted(staff_names()) == ["first", "second"]


def test_a_name_of_separators_alone_reserves_nothing() -> None:
    assert skeleton("— · —") == ""
    assert not is_reserved("— · —", RESERVED, ["moder"])


def test_a_reader_cannot_sign_as_the_newsroom_or_a_staff_member(
    app: Flask, reader: Commenting, client
) -> None:
    make_thread(app)
    logged_in(app, app.test_client(), "ivanova", Role.EDITOR)
    for name in ("Редакция News-Asia", "Рeдaкция", "IVANOVA"):
        refused = reader.post(name=name)
        assert refused.status_code == 422
        assert "зарезервировано для редакции" in refused.get_data(as_text=True)
    assert comment_rows(app) == []
    assert reader.post(name="Айгуль").status_code == 200
    assert len(comment_rows(app)) == 1
