"""The fast subset of tests/conversations/ (`fast: true`), end to end on the real stack.

The whole set runs in `make eval-dialogue`; these few per language keep `make test` honest
about whole conversations: places, form exits, follow-up questions, undecided pupils and the
reply language.
"""

from __future__ import annotations

import pytest

from bot.dialogue_eval import Conversation, Runner, load
from bot.labels import LANGUAGES

pytestmark = pytest.mark.e2e

FAST = [c for language in LANGUAGES for c in load(language) if c.fast]


def test_every_language_has_a_fast_subset() -> None:
    for language in LANGUAGES:
        assert sum(c.language == language for c in FAST) >= 3, language


@pytest.mark.parametrize("conversation", FAST, ids=[c.id for c in FAST])
def test_conversation(runner: Runner, conversation: Conversation) -> None:
    result = runner.run(conversation)
    assert result.turns, "nothing was sent"
    assert result.ok, result.report()
