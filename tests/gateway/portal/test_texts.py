from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from gateway.portal.app import PAGES_DIR
from gateway.portal.texts import (
    LANGUAGES,
    TEXTS,
    category_label,
    choose_language,
    duration_text,
)

SOURCES = Path(__file__).resolve().parents[3] / "gateway" / "portal"


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_indonesian_comes_first_and_english_second() -> None:
    assert LANGUAGES == ("id", "en")
    assert list(TEXTS) == ["id", "en"]


def test_both_languages_have_exactly_the_same_keys() -> None:
    assert set(TEXTS["id"]) == set(TEXTS["en"])


@pytest.mark.parametrize("key", sorted(TEXTS["id"]))
def test_every_text_is_complete_with_the_same_placeholders(key: str) -> None:
    indonesian, english = TEXTS["id"][key], TEXTS["en"][key]
    assert indonesian.strip() and english.strip()
    assert fields(indonesian) == fields(english)


def test_every_text_is_used_somewhere() -> None:
    used = " ".join(p.read_text() for p in (PAGES_DIR / "templates").glob("*.html"))
    used += " ".join(p.read_text() for p in SOURCES.glob("*.py") if p.name != "texts.py")
    # the helper functions after the table, not the table itself
    used += (SOURCES / "texts.py").read_text().partition("def choose_language")[2]
    for key in TEXTS["id"]:
        if key.startswith("category_"):
            continue  # looked up by category name, see category_label
        assert re.search(rf"\b{key}\b", used), key


def test_language_choice_order() -> None:
    assert choose_language(None, None, "id") == "id"
    assert choose_language(None, None, "en") == "en"
    assert choose_language(None, "en", "id") == "en"
    assert choose_language("id", "en", "en") == "id"
    assert choose_language("fr", "xx", "id") == "id"
    assert choose_language(None, None, "zz") == "id"


def test_category_labels() -> None:
    assert category_label(TEXTS["id"], "gambling") == "perjudian (judi online)"
    assert category_label(TEXTS["en"], "dns-bypass") == "service that gets around DNS filtering"
    assert category_label(TEXTS["en"], "custom-list") == "custom-list"


def test_duration_text() -> None:
    assert duration_text(TEXTS["id"], 2 * 3600 + 5 * 60 + 59) == "2 jam 5 menit"
    assert duration_text(TEXTS["en"], 2 * 3600 + 5 * 60) == "2 h 5 min"
    assert duration_text(TEXTS["id"], 59 * 60) == "59 menit"
    assert duration_text(TEXTS["en"], -5) == "0 min"
