"""Who the programmes are for, read from what the user wrote: a pupil (or a parent asking for
their child) is offered no adult education, an adult learner is offered it first
(bot/matching `audience`). The words are data: bot/labels.yml child_markers, adult_markers and
learner_markers."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from bot.labels import labels
from bot.language import shows_learner
from bot.matching.types import Audience
from bot.text import fold

ADULT_AGE = 18
# "jag är 35 år", "jeg er 42 år", "olen 35 vuotias" / "olen 35-vuotias" (bot.text.fold drops
# digits, so the age is read from the lower-cased message).
_AGE = re.compile(r"\b(?:jag är|jag e|jeg er|olen) (\d{1,2})(?:\s*år\b|[ -]?vuotias)")


@lru_cache(maxsize=2)
def _markers(name: str) -> tuple[str, ...]:
    return tuple(f" {fold(m)} " for words in labels()[name].values() for m in words)


def audience_of(events: list[dict[str, Any]]) -> Audience:
    """Who the programmes are for, from everything the user wrote (bot/labels.yml
    child_markers and adult_markers): a parent asking for their child, young; else an
    adult learner (a former country, a question about adult education, an adult's words or
    age), adult; else young, the widget's pupils."""
    said = [e for e in events if e.get("event") == "user"]
    texts = [f" {' '.join(fold(e.get('text') or '').split())} " for e in said]
    if any(m in text for text in texts for m in _markers("child_markers")):
        return "young"
    parsed = [e.get("parse_data") or {} for e in said]
    if any((p.get("intent") or {}).get("name") == "ask_adult_education" or
           any(x.get("entity") == "origin" for x in p.get("entities") or []) for p in parsed):
        return "adult"
    if any(m in text for text in texts for m in _markers("adult_markers")) or \
            any(shows_learner(e.get("text") or "") for e in said):
        return "adult"
    ages = [int(age) for e in said for age in _AGE.findall((e.get("text") or "").lower())]
    return "adult" if any(age >= ADULT_AGE for age in ages) else "young"
