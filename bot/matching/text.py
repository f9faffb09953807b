"""Word splitting that keeps the user's own spelling next to the folded form used to match."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from bot.text import fold

_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Token:
    """One word: `surface` as typed (shown in reasons), `key` folded (used to match)."""

    surface: str
    key: str
    boost: float = 1.0


def tokens(text: str, boost: float = 1.0) -> list[Token]:
    """Words of `text`; emojis and punctuation are dropped, hyphenated words are split."""
    out = []
    for match in _WORD.finditer(text):
        key = fold(match.group())
        # fold() may split a word ("ß" etc. never does, but keep it safe) - take it joined.
        key = key.replace(" ", "")
        if key:
            out.append(Token(match.group(), key, boost))
    return out


def query_tokens(text: str, interests: Iterable[str] = (), boost: float = 1.0) -> list[Token]:
    """The words of a message, those of the `interests` the NLU marked weighing `boost`; an
    interest whose words are not in the text adds them."""
    toks = tokens(text)
    for entity in interests:
        if not entity or not entity.strip():
            continue
        found = {t.key for t in tokens(entity)}
        toks = [replace(t, boost=boost) if t.key in found else t for t in toks]
        if not found <= {t.key for t in toks}:  # entity not in the text: add its words
            toks += tokens(entity, boost)
    return toks


def common_prefix(a: str, b: str) -> int:
    """Length of the shared beginning, a cheap stand-in for a stemmer across sv/fi/da."""
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i
