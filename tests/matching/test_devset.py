"""Quality gate: hybrid hit@3 >= 0.90 per language on the hand-labelled dev set."""

from __future__ import annotations

import pytest

from bot.matching import Matcher
from bot.matching.evaluate import evaluate, load_devset

FIELDS = {"vehicles", "electrical", "automation", "manufacturing", "construction",
          "hvac_property", "it", "process_chemistry", "engineering"}


@pytest.mark.parametrize("lang", ["sv", "fi", "da"])
def test_devset_is_big_enough_and_covers_every_field(lang: str) -> None:
    items = load_devset(lang)
    assert len(items) >= 45
    assert {f for item in items for f in item.fields} == FIELDS
    assert len({item.text for item in items}) == len(items)


@pytest.mark.parametrize("lang", ["sv", "fi", "da"])
def test_hybrid_hit_at_3(matcher: Matcher, lang: str) -> None:
    scores = evaluate(matcher, lang, "hybrid")
    assert scores.hit3 >= 0.90, scores.misses
