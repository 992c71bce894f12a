"""Russian by default, English on request, every message translated, catalogs compiled."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parents[2] / "polls_site" / "translations"


def test_russian_catalog_is_complete() -> None:
    with open(TRANSLATIONS / "ru" / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f, locale="ru")
    untranslated = [
        m.id
        for m in catalog
        if m.id and (m.fuzzy or not (all(m.string) if m.pluralizable else m.string))
    ]
    assert untranslated == []
    assert catalog.num_plurals == 3


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_compiled_catalog_matches_its_source(locale: str) -> None:
    folder = TRANSLATIONS / locale / "LC_MESSAGES"
    with open(folder / "messages.po", "rb") as f:
        catalog = read_po(f, locale=locale)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    assert (folder / "messages.mo").read_bytes() == compiled.getvalue(), (
        "stale catalog: run pybabel compile -d polls_site/translations"
    )


def test_russian_plurals_in_results(app, client, poll_id) -> None:
    from tests.support.app import drain_queue
    from tests.support.factories import option_ids
    from tests.support.polls import Voting

    a, b, _ = option_ids(app, poll_id)
    for option in (a, a, b):
        Voting(app.test_client()).vote(poll_id, option)
    drain_queue(app)
    html = client.get(f"/w/poll/{poll_id}?view=results").get_data(as_text=True)
    assert "2 голоса" in html and "1 голос<" in html and "0 голосов" in html
