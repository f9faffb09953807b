"""Offline language detection for sv, fi and da, which keeps the current language when unsure.

Pupils write "ok", "hej" or "jo": such words exist in several of our languages, so a detector
must not flip the conversation's language on them. lingua ships its models inside the wheel,
so detection works offline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

from bot.labels import labels

SUPPORTED = ("sv", "fi", "da")
_LINGUA = {
    Language.SWEDISH: "sv",
    Language.FINNISH: "fi",
    Language.DANISH: "da",
    # Norwegian is so close to Danish that lingua splits Danish text between the two;
    # counting it as Danish is right for our users (a Norwegian reader also understands it).
    Language.BOKMAL: "da",
    # Detected but unsupported, so that English is not mistaken for one of ours.
    Language.ENGLISH: "en",
}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# Short messages ("ok", "hej", "jo") are often valid in several languages: demand more certainty.
SHORT_LETTERS = 10
MIN_CONFIDENCE = 0.6
MIN_CONFIDENCE_SHORT = 0.9


@dataclass(frozen=True)
class Detection:
    """Outcome of one detection: the language to use and why."""

    language: str
    source: str  # "metadata", "detected" or "kept"
    detected: str | None = None
    confidence: float = 0.0


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    return LanguageDetectorBuilder.from_languages(*_LINGUA).with_preloaded_language_models().build()


def detect(text: str) -> tuple[str | None, float]:
    """The likely language of `text` with its confidence; None when too short or too unsure."""
    words = _WORD.findall(text or "")
    letters = sum(map(len, words))
    if letters < 3:
        return None, 0.0
    scores: dict[str, float] = {}
    for value in _detector().compute_language_confidence_values(" ".join(words)):
        code = _LINGUA[value.language]
        scores[code] = scores.get(code, 0.0) + value.value
    if not scores:
        return None, 0.0
    code, confidence = max(scores.items(), key=lambda item: item[1])
    needed = MIN_CONFIDENCE_SHORT if letters < SHORT_LETTERS else MIN_CONFIDENCE
    return (code, confidence) if confidence >= needed else (None, confidence)


def normalise(code: object) -> str | None:
    """A supported language code from metadata such as "sv", "FI" or "da-DK", else None."""
    if not isinstance(code, str):
        return None
    short = code.strip().lower()[:2]
    return short if short in SUPPORTED else None


def choose_language(text: str, current: str | None, explicit: object = None,
                    default: str = "sv") -> Detection:
    """Pick the conversation language: explicit metadata wins, then a confident detection.

    A short, ambiguous or unsupported message keeps the current language.
    """
    forced = normalise(explicit)
    if forced:
        return Detection(forced, "metadata")
    kept = normalise(current) or default
    detected, confidence = detect(text)
    if detected in SUPPORTED:
        return Detection(detected, "detected", detected, confidence)
    return Detection(kept, "kept", detected, confidence)


def plain_language_requested(explicit: object, intent: str | None,
                             text: str = "") -> bool | None:
    """Whether plain language is wanted this turn: widget metadata wins, then the user's ask,
    then words that show a language learner ("jag läser sfi", "opiskelen suomea").

    Returns None when nothing in this turn says anything about it, so the slot stays as it is.
    """
    if isinstance(explicit, bool):
        return explicit
    if intent == "ask_plain_language" or _shows_learner(text):
        return True
    return None


def _shows_learner(text: str) -> bool:
    lowered = " ".join(text.lower().split())
    return any(marker in lowered for marker in _learner_markers())


@lru_cache(maxsize=1)
def _learner_markers() -> tuple[str, ...]:
    return tuple(m for markers in labels()["learner_markers"].values() for m in markers)

