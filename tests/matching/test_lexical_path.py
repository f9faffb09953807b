"""The summaries' lexical path (bot.matching.lexical.lexical_fields) ranks fields exactly as
the matcher's lexical mode does, without building the semantic index or importing torch."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.labels import LANGUAGES
from bot.matching import Matcher
from bot.matching.evaluate import load_devset
from bot.matching.lexical import lexical_fields
from bot.settings import ROOT


@pytest.mark.parametrize("lang", LANGUAGES)
def test_lexical_fields_rank_as_the_matchers_lexical_mode(matcher: Matcher, lang: str) -> None:
    items = load_devset(lang)
    compared = 0
    for item in items:
        wanted = matcher.match(item.text, item.interests, lang=lang, mode="lexical").field_ids
        assert lexical_fields(item.text, item.interests, lang) == wanted, item.text
        compared += bool(wanted)
    assert compared >= len(items) // 2  # most dev items name a field by a word


def test_no_words_no_fields() -> None:
    assert lexical_fields("😀 !!!", [], "sv") == []
    assert lexical_fields("", ["  "], "fi") == []


def test_the_lexical_path_loads_no_torch() -> None:
    code = ("import sys; from bot.matching.lexical import lexical_fields; "
            "print(lexical_fields('jag vill meka med bilar', [], 'sv')); "
            "print('torch' in sys.modules, 'sentence_transformers' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    fields, loaded = done.stdout.strip().splitlines()[-2:]
    assert "vehicles" in fields
    assert loaded == "False False"
