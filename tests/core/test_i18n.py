"""Russian by default, English on request, every message translated, catalogs compiled."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import read_mo
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


def _shown(catalog: Catalog, message: Message) -> tuple[str, ...]:
    """What gettext shows for a message: its translation, an untranslated form falling back
    to the msgid (singular or plural, as gettext does)."""
    ids = tuple(message.id) if message.pluralizable else (message.id,)
    found = catalog.get(message.id, context=message.context)
    strings: tuple[str, ...] = ()
    if found is not None and not found.fuzzy:
        strings = tuple(found.string) if found.pluralizable else (found.string,)
    count = max(len(strings), len(ids))
    return tuple(
        (strings[i] if i < len(strings) else "") or ids[min(i, len(ids) - 1)] for i in range(count)
    )


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_compiled_catalog_matches_its_source(locale: str) -> None:
    # Compared message by message, not byte by byte: each Babel release may lay out
    # the .mo file (its header, its order) differently, and gettext reads them all alike.
    folder = TRANSLATIONS / locale / "LC_MESSAGES"
    with open(folder / "messages.po", "rb") as f:
        source = read_po(f, locale=locale)
    with open(folder / "messages.mo", "rb") as f:
        compiled = read_mo(f)
    stale = "stale catalog: run make messages (pybabel compile -d polls_site/translations)"
    messages = [m for m in source if m.id]
    assert [_shown(compiled, m) for m in messages] == [_shown(source, m) for m in messages], stale
    assert compiled.plural_forms == source.plural_forms, stale


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
