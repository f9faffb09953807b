"""The languages the assistant speaks, and small per-language word lists from bot/labels.yml
(list words, skip words, learner markers).

`LANGUAGES` is the one place that says which languages there are: the language slot, the
knowledge base, the matcher, the summaries and the accounts all read it from here. The bottom
layer (stdlib and PyYAML only), so the Rasa process (`.venv-rasa`) can import it too.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Final, Literal

import yaml

Language = Literal["sv", "fi", "da"]
LANGUAGES: Final[tuple[Language, ...]] = ("sv", "fi", "da")
# The language every text is written in first: a missing translation falls back to it. Not
# the conversation's default language, which is a setting (bot.settings: default_language).
SOURCE_LANGUAGE: Final[Language] = "sv"
# The country a language points to when no place is known (suggestions, visits, the dev set).
COUNTRY_OF_LANGUAGE: Final[dict[str, str]] = {"sv": "SE", "fi": "FI", "da": "DK"}
LABELS_FILE = Path(__file__).with_name("labels.yml")


@lru_cache(maxsize=1)
def labels() -> dict[str, Any]:
    return yaml.safe_load(LABELS_FILE.read_text(encoding="utf-8"))


def label(key: str, language: str) -> str:
    """A short word in `language` (in the source language, Swedish, when missing)."""
    return str(labels()[key].get(language) or labels()[key][SOURCE_LANGUAGE])
