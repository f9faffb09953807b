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

from bot.labels import LANGUAGES, labels
from bot.settings import get_settings
from bot.text import unstretch

# The name the gateway (bot/api/chat.py) imports; the list itself is bot.labels.LANGUAGES.
SUPPORTED = LANGUAGES
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
# Leaving the language the conversation (or the page) is in takes more: "tjaa" or "xdxd" must
# not flip a Swedish pupil into Finnish, "jeg kan godt lide at bygge ting" should.
SWITCH_CONFIDENCE = 0.8


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


def greeting_language(text: str) -> str | None:
    """The language of a one-word greeting that only one of ours uses ("moi", "hejsa")."""
    words = _WORD.findall((text or "").lower())
    if not words or len(words) > 3:
        return None
    first = unstretch(words[0])  # "moiii", "hejsaaa"
    for language, greetings in labels()["greetings"].items():
        if first in greetings:
            return str(language)
    return None


def choose_language(text: str, current: str | None, explicit: object = None,
                    default: str | None = None, previous_explicit: object = None) -> Detection:
    """Pick the conversation language: the user wins.

    1. The widget's language when the user has just switched it (it differs from both what
       the widget sent last time and the conversation's language).
    2. A message clearly written in one of our languages, or a greeting only one of them uses.
    3. The conversation's language; on the first turn the widget's, else `default` (the
       configured default language unless given).

    A short, ambiguous or unsupported message, or a button's payload, keeps the language.
    """
    forced = normalise(explicit)
    kept = normalise(current)
    if forced and kept and forced != kept and forced != normalise(previous_explicit):
        return Detection(forced, "metadata")
    baseline = kept or forced
    if not (text or "").startswith("/"):
        detected, confidence = detect(text)
        letters = sum(map(len, _WORD.findall(text or "")))
        clear = confidence >= SWITCH_CONFIDENCE and letters >= SHORT_LETTERS
        if detected in SUPPORTED and (detected == baseline or baseline is None or clear):
            return Detection(detected, "detected", detected, confidence)
        greeted = greeting_language(text)
        if greeted:
            return Detection(greeted, "detected", greeted, 1.0)
    else:
        detected, confidence = None, 0.0
    if kept:
        return Detection(kept, "kept", detected, confidence)
    fallback = default or get_settings().default_language
    return Detection(forced or fallback, "metadata" if forced else "kept", detected, confidence)


def plain_language_requested(explicit: object, intent: str | None,
                             text: str = "", previous_explicit: object = None) -> bool | None:
    """Whether plain language is wanted this turn: the user's typed ask or words that show a
    language learner ("jag läser sfi", "opiskelen suomea") switch it on; the widget's checkbox
    counts when the user has just changed it, or on the first turn.

    Returns None when nothing in this turn says anything about it, so the slot stays as it is:
    a typed request stays on until the user turns it off.
    """
    if intent == "ask_plain_language" or shows_learner(text):
        return True
    if isinstance(explicit, bool) and explicit != previous_explicit:
        return explicit
    return None


def shows_learner(text: str) -> bool:
    """Words that show a language learner (bot/labels.yml learner_markers)."""
    lowered = " ".join(text.lower().split())
    return any(marker in lowered for marker in _learner_markers())


@lru_cache(maxsize=1)
def _learner_markers() -> tuple[str, ...]:
    return tuple(m for markers in labels()["learner_markers"].values() for m in markers)

STATE = "state"


def state_message(language: str, plain_language: bool) -> dict[str, object]:
    """The `custom` payload that tells the widget which language and plain-language setting
    the bot now uses, so its switches follow the conversation (bot/api/chat.py)."""
    return {"type": STATE, "language": language, "plain_language": plain_language}
