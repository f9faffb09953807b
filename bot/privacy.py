"""Keeping identifying data out: a sign-up keeps a first name or nickname at most."""

from __future__ import annotations

import re

from bot.knowledge.queries import fold
from bot.labels import labels

SKIPPED = "-"
_NAME = re.compile(r"^[^\W\d_][^\W\d_'’-]{0,29}$", re.UNICODE)


def clean_nickname(text: str | None) -> str | None:
    """The first name to store, SKIPPED when the user declined, None when it is not a name.

    Anything with digits, e-mail signs or more than two words is refused, so a personal
    number, a phone number or a full name is never stored.
    """
    raw = (text or "").strip().strip(".!")
    folded = fold(raw)
    if any(folded == fold(word) for words in labels()["skip_name"].values() for word in words):
        return SKIPPED
    words = raw.split()
    if not words or len(words) > 2 or any(ch.isdigit() or ch == "@" for ch in raw):
        return None
    first = words[0]
    return first if _NAME.match(first) else None


_SCHOOL = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def school_id(value: object) -> str | None:
    """The widget's `data-school` id when it is a plain short id, else None (never free text)."""
    return value if isinstance(value, str) and _SCHOOL.match(value) else None
