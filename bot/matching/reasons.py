"""Reason texts from the templates in reasons.yml (data, so translators can edit them)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from bot.settings import language_or_default

REASONS_FILE = Path(__file__).with_name("reasons.yml")


@lru_cache(maxsize=1)
def templates() -> dict[str, dict[str, str]]:
    loaded: dict[str, dict[str, str]] = yaml.safe_load(REASONS_FILE.read_text(encoding="utf-8"))
    return loaded


def reason(lang: str, kind: str, target: str, word: str | None = None) -> str:
    """E.g. sv lexical: "du nämnde *mopeder* → Fordon"; a language without templates gets the
    default language's."""
    table = templates().get(lang) or templates()[language_or_default(lang)]
    return table[kind].format(word=word or "", target=target)
