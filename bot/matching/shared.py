"""The process-wide matcher: built once, rebuilt only when the knowledge base on disk changes.

An action server, the stack's prebuild and the benchmarks share it; `wait_for_matcher` keeps the
first load off an async server's event loop, and `matcher_loaded` is its readiness probe.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable

from bot.knowledge.loader import load_knowledge
from bot.matching.engine import Matcher
from bot.matching.text import tokens
from bot.matching.types import Audience, MatchResult, Mode
from bot.settings import language_or_default

_LOCK = threading.Lock()
_MATCHER: Matcher | None = None


def get_matcher() -> Matcher:
    """The process-wide matcher, rebuilt only when the knowledge base on disk changed."""
    global _MATCHER
    kb = load_knowledge()
    with _LOCK:
        if _MATCHER is None or _MATCHER.kb is not kb:
            _MATCHER = Matcher(kb)
        return _MATCHER


def matcher_loaded() -> bool:
    """Whether the first load has finished (the action server's readiness probe)."""
    return _MATCHER is not None


async def wait_for_matcher() -> None:
    """In an async server, wait for the first load off the event loop.

    The action server starts loading at once in a thread (actions/matches.py); a turn that
    comes sooner would otherwise block the whole loop on `_LOCK`, and with it the server's
    /health, for as long as the load takes (10-20 s on two busy cores), which a supervisor
    rightly reads as a hang.
    """
    if _MATCHER is None:
        await asyncio.to_thread(get_matcher)


def match_interests(text: str, interests: Iterable[str] = (), lang: str | None = None,
                    country: str | None = None, place: str | None = None,
                    mode: Mode = "hybrid", limit: int = 5,
                    audience: Audience | None = None) -> MatchResult:
    """Match one message with the cached matcher (see `Matcher.match`)."""
    return get_matcher().match(text, interests, lang, country, place, mode, limit, audience)


NAMED_STRENGTH = 0.73  # an inflection, compound or close typo; not a shared stem


def names_an_interest(text: str, lang: str) -> bool:
    """Whether a free answer names something we know ("bilar", "meka me mopeder",
    "elektrikker"), not only resembles it: the semantic layer finds a field even in "asdf",
    and a loose stem match finds one in "vejle" or "vælge"."""
    matcher = get_matcher()
    found = matcher.lexical.score(tokens(text), language_or_default(lang))
    return any(hit.strength >= NAMED_STRENGTH for hit in found.fields.values())
