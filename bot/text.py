"""Text folding shared by every layer: places, interests, nicknames, the gazetteer.

Standard library and bot.labels only, so the Rasa process (`.venv-rasa`) can import it too.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from bot.labels import LANGUAGES

_EXTRA_FOLD = str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "đ": "d", "ł": "l"})
_WORD = re.compile(r"[a-z0-9]+")


def fold(text: str) -> str:
    """Lower-case, accent-free, single-spaced text ("Göteborg" -> "goteborg", "Ø" -> "o")."""
    text = unicodedata.normalize("NFKD", text.casefold().translate(_EXTRA_FOLD))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(_WORD.findall(text))


def unstretch(word: str) -> str:
    """"moiii" -> "moi", "okejjj" -> "okej": pupils stretch the last letter of a word."""
    return re.sub(r"(.)\1+$", r"\1", word)


PLACE_ENTITIES = ("location", "origin")


def without_places(text: str, entities: Iterable[Mapping[str, Any]]) -> str:
    """The message without its place names: "Uusikaupunki" tells neither the language the
    user writes in nor what they like."""
    spans = sorted((e["start"], e["end"]) for e in entities
                   if e.get("entity") in PLACE_ENTITIES and "start" in e and "end" in e)
    for start, end in reversed(spans):
        text = text[:start] + text[end:]
    return text


# The longest free answer kept as an interest (the `interests` slot holds the user's words).
MAX_INTEREST_CHARS = 200

_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")


def sentences(text: str) -> list[str]:
    """The sentences of a message, split at . ! ? and line breaks ("Jag är rädd att välja fel.
    Jag gillar bilar." -> two); fragments without letters are dropped."""
    return [s.strip() for s in _SENTENCE.findall(text) if any(c.isalpha() for c in s)]


_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
WORD_LANGS = (*LANGUAGES, "en")  # en: pupils write "lol", "ok", "help"


def has_known_word(text: str) -> bool:
    """Whether any word of the message is a word in one of our languages or English (wordfreq
    knows it): "ghjghj" and "jkjkjk" are keyboard noise, whatever intent the classifier
    gives them, and a form counts them as no answer."""
    from wordfreq import zipf_frequency  # its word lists load on first use

    return any(zipf_frequency(word, lang) > 0
               for word in _WORD.findall(text.lower()) for lang in WORD_LANGS)
