"""Text folding shared by every layer: places, interests, nicknames, the gazetteer.

Standard library only, so the Rasa process (`.venv-rasa`) can import it too.
"""

from __future__ import annotations

import re
import unicodedata

_EXTRA_FOLD = str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "đ": "d", "ł": "l"})
_WORD = re.compile(r"[a-z0-9]+")


def fold(text: str) -> str:
    """Lower-case, accent-free, single-spaced text ("Göteborg" -> "goteborg", "Ø" -> "o")."""
    text = unicodedata.normalize("NFKD", text.casefold().translate(_EXTRA_FOLD))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(_WORD.findall(text))
