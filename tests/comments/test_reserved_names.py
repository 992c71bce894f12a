"""Reserved author names: the portal's and the staff's, look-alike spellings included."""

from __future__ import annotations

import pytest
from flask import Flask

from polls_site.comments.reserved_names import is_reserved, skeleton
from polls_site.models import Role
from tests.support.comments import Commenting, comment_rows
from tests.support.factories import make_thread
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
