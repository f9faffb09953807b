"""The domain's responses as text: which variation a language and plain-language choice gets,
with its {placeholders} filled. Used to tell whether a block would repeat itself, and by the
conversation tests to recognise which response the bot gave."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_PLACEHOLDER = re.compile(r"\\\{(\w+)\\\}")


def variation(domain: Mapping[str, Any], name: str, language: str,
              plain: bool) -> Mapping[str, Any] | None:
    """The variation of response `name` whose conditions match, else None."""
    for candidate in domain.get("responses", {}).get(name, []):
        wanted = {c["name"]: c["value"] for c in candidate.get("condition", [])}
        if wanted.get("language", language) == language and \
                wanted.get("plain_language", plain) == plain:
            return candidate
    return None


def render(domain: Mapping[str, Any], name: str, language: str, plain: bool,
           values: Mapping[str, Any]) -> str | None:
    """The text the user sees for response `name`, as Rasa fills it."""
    chosen = variation(domain, name, language, plain)
    if chosen is None or not chosen.get("text"):
        return None
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), m.group(0))), chosen["text"])


def pattern(text: str) -> re.Pattern[str]:
    """A regex that matches a template's text with anything in its {placeholders}."""
    return re.compile("^" + _PLACEHOLDER.sub(lambda m: "(?s:.*)", re.escape(text)) + "$",
                      re.DOTALL)
