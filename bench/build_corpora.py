"""Builds the two frozen corpora in tests/data/ (obscene.txt, innocent.txt); see their README.

Run once: ``.venv/bin/python bench/build_corpora.py SEED_PAGE``. The output is committed and
never regenerated to fit the rules (the rules are tuned against the frozen files).
"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

from polls_site.comments.automod.morph import analyzer

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"

# Core mat and slurs, inflected as readers write them (one form each; the maskings below
# multiply them).
OBSCENE = [
    "хуй",
    "хуя",
    "хуем",
    "нахуй",
    "похуй",
    "хуйня",
    "хуйню",
    "хуево",
    "охуели",
    "охуеть",
    "пизда",
    "пизды",
    "пиздец",
    "пиздеж",
    "пиздят",
    "спиздили",
    "блядь",
    "бляди",
    "блять",
    "бля",
    "ебать",
    "ебаный",
    "ебанутые",
    "заебали",
    "наебали",
    "уебок",
    "долбоеб",
    "выебываются",
    "мудак",
    "мудаки",
    "мудила",
    "сука",
    "суки",
    "сучара",
    "пидор",
    "пидорасы",
    "гандон",
    "залупа",
    "шлюха",
    "мразь",
    "ублюдки",
    "жиды",
    "хохлы",
    "москали",
    "кацапы",
    "чучмеки",
    "хачи",
]
# Sentences the words are put in (what a reader of the portal writes under an article).
FRAMES = [
    "{w}",
    "Да пошли вы все {w} со своим ЕАЭС",
    "Это просто {w} какой-то",
    "{w}, а не новость",
    "Опять {w} в правительстве",
    "Ну и {w} же вы",
    "Министры {w}",
    "Кто писал эту статью, {w}?",
]
_VOWELS = "аеиоуыэюя"
_LATIN = {"а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "к": "k"}
_GREEK = {"а": "α", "о": "ο", "к": "κ", "р": "ρ", "х": "χ", "у": "γ", "т": "τ"}
_ARMENIAN = {"о": "օ", "у": "ս"}


def _first_vowel(word: str, mask: str) -> str:
    return re.sub(f"[{_VOWELS}]", mask, word, count=1)


def _swap(word: str, table: dict[str, str]) -> str:
    return "".join(table.get(c, c) for c in word)


MASKINGS = {
    "plain": lambda w: w,
    "upper": str.upper,
    "star": lambda w: _first_vowel(w, "*"),
    "at": lambda w: _first_vowel(w, "@"),
    "hash": lambda w: _first_vowel(w, "#"),
    "latin": lambda w: _swap(w, _LATIN),
    "greek": lambda w: _swap(w, _GREEK),
    "armenian": lambda w: _swap(w, _ARMENIAN),
    "spaced": lambda w: " ".join(w),
    "dotted": lambda w: ".".join(w),
    "repeated": lambda w: "".join(c * 3 if c in _VOWELS else c for c in w),
    "zero-width": lambda w: "\u200b".join(w),
    "bidi": lambda w: w[:2] + "\u202e\u202c" + w[2:],
    "digits": lambda w: w.replace("о", "0").replace("з", "3").replace("б", "6"),
}

# Words and names that contain obscene-looking letters: their every dictionary form goes
# into the innocent set (рубля, команда, застрахуй, Чуркин, Херсон...).
LOOKALIKE_LEMMAS = [
    "рубль",
    "команда",
    "застраховать",
    "страховать",
    "страховка",
    "чуркин",
    "москаленко",
    "херсон",
    "жидкость",
    "жидкий",
    "оскорблять",
    "сукно",
    "мандарин",
    "командир",
    "потребление",
    "требовать",
    "бляха",
    "хулиган",
    "худой",
    "мудрый",
    "мудрость",
    "хохот",
    "хохотать",
    "хохолок",
    "ребенок",
    "небо",
    "хлеб",
    "гребень",
    "учебник",
    "учеба",
    "себестоимость",
    "скипидар",
    "педиатр",
    "педикюр",
    "педагог",
    "лох-несс",
    "дурман",
    "уродиться",
    "урожай",
    "мандат",
    "командировка",
    "рублевый",
    "сучок",
    "засуха",
    "колебание",
    "поколебать",
    "гандбол",
    "херувим",
    "ебонит",
    "оскорбление",
    "потребитель",
    "вертолет",
    "погреб",
    "себя",
    "амбар",
    "москвич",
    "страхование",
    "застраховывать",
    "чуркина",
    "шлюз",
    "дрожжи",
    "хачапури",
    "мудрец",
    "блюдо",
    "ублажать",
]
NAMES = [
    "Хуавэй",
    "Хуанхэ",
    "Хуарес",
    "Хуан Карлос",
    "Сукачев",
    "Чуркина",
    "Небензя",
    "Ебралидзе",
    "Блянов",
    "Мудаков",
    "Херсонская область",
    "Манделштам",
    "Хохлов",
    "Хохлома",
    "Жидков",
    "Москалев",
    "Кацапов",
    "Хуршид",
    "Хуснутдинов",
    "Сукиасян",
    "Ханбулатов",
    "Хуснуллин",
    "Ебеляков",
    "Скипидаров",
    "Бляхер",
    "Мандельбаум",
    "Худайбердиев",
    "Хужаев",
    "Хулкар",
    "Хуррамабад",
    "Хушвакт",
    "Ходжент",
    "Мандаринов",
]
NEWS_FRAMES = [
    "В сводке новостей за неделю снова упоминается «{w}».",
    "Корреспондент уточнил: речь шла именно о слове «{w}».",
    "Заголовок «{w}» появился на главной странице портала в среду.",
    "Эксперты обсудили тему «{w}» на конференции в Бишкеке.",
    "По данным пресс-службы, {w} остается в центре внимания.",
    "В комментариях читатели спорили о том, что значит {w}.",
    "Министерство опубликовало справку, где упомянут {w}.",
    "Аналитики из Алматы называют {w} главной темой года.",
]


def _dictionary_forms() -> list[str]:
    morph = analyzer()
    forms: set[str] = set()
    for lemma in LOOKALIKE_LEMMAS:
        for parse in morph.parse(lemma):
            if parse.normal_form.replace("ё", "е") == lemma:
                forms.update(form.word for form in parse.lexeme)
        forms.add(lemma)
    return sorted(forms)


def _article_sentences(seed_page: Path) -> list[str]:
    text = seed_page.read_text(encoding="utf-8")
    parts = re.split(r"(?<=[.!?»])\s+|\n+", text)
    return [p.strip(" •") for p in parts if len(p.split()) >= 3]


def main(seed_page: str) -> None:
    """Write both corpora (deterministic: a fixed random seed)."""
    rng = random.Random(16)
    obscene = []
    for word in OBSCENE:
        for name, mask in MASKINGS.items():
            frame = rng.choice(FRAMES)
            obscene.append(f"{name}\t{frame.format(w=mask(word))}")
    innocent = _article_sentences(Path(seed_page))
    for form in _dictionary_forms():
        innocent.append(rng.choice(NEWS_FRAMES).format(w=form))
        innocent.append(rng.choice(NEWS_FRAMES).format(w=form.capitalize()))
    for name in NAMES:
        for frame in NEWS_FRAMES:
            innocent.append(frame.format(w=name))
    innocent = list(dict.fromkeys(innocent))
    (DATA / "obscene.txt").write_text("\n".join(obscene) + "\n", encoding="utf-8")
    (DATA / "innocent.txt").write_text("\n".join(innocent) + "\n", encoding="utf-8")
    print(f"obscene: {len(obscene)}, innocent: {len(innocent)}")


if __name__ == "__main__":
    main(sys.argv[1])
