"""The NLU lookup table of place names, generated from knowledge/places.yml.

It feeds Rasa's RegexFeaturizer, so the entity extractor knows every place the knowledge base
knows, in every spelling we keep (local name, aliases, and forms without diacritics).
"""

from __future__ import annotations

from pathlib import Path

from bot.knowledge.schema import KnowledgeBase
from bot.labels import LANGUAGES
from bot.settings import ROOT
from bot.text import fold

LOOKUP_FILE = ROOT / "data" / "lookups" / "location.yml"
HEADER = (
    "# Generated from knowledge/places.yml by `python -m bot.knowledge lookup`; do not edit.\n"
    "# tests/knowledge/test_nlu_lookup.py fails when it is out of date.\n"
)


def location_names(kb: KnowledgeBase) -> list[str]:
    """Every name of every place, with and without diacritics, lower-cased and sorted."""
    names: set[str] = set()
    for place in kb.places:
        for name in (place.name, *place.aliases):
            names.add(name.lower())
            names.add(fold(name))
    return sorted(names)


def _render(lookup: str, source: str, examples: list[str]) -> str:
    """A Rasa lookup table file: the generated-file header, then one example per line."""
    lines = [HEADER.replace("places.yml", source), 'version: "3.1"', "nlu:",
             f"  - lookup: {lookup}", "    examples: |"]
    lines += [f"      - {example}" for example in examples]
    return "\n".join(lines) + "\n"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def render(kb: KnowledgeBase) -> str:
    return _render("location", "places.yml", location_names(kb))


def write(kb: KnowledgeBase, path: Path = LOOKUP_FILE) -> Path:
    return _write(path, render(kb))


INTEREST_FILE = ROOT / "data" / "lookups" / "interest.yml"


def interest_words(kb: KnowledgeBase) -> list[str]:
    """Every interest synonym in sv, fi and da, lower-cased and sorted."""
    words = {
        word.lower()
        for row in kb.synonyms
        for language in LANGUAGES
        for word in getattr(row, language)
    }
    return sorted(words)


def render_interests(kb: KnowledgeBase) -> str:
    return _render("interest", "interest_synonyms.yml", interest_words(kb))


def write_interests(kb: KnowledgeBase, path: Path = INTEREST_FILE) -> Path:
    return _write(path, render_interests(kb))
