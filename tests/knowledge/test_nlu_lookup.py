"""The NLU place lookup table is generated from the knowledge base and must stay in sync."""

from bot.knowledge.loader import load_knowledge
from bot.knowledge.nlu_lookup import (
    INTEREST_FILE,
    LOOKUP_FILE,
    location_names,
    render,
    render_interests,
)


def test_lookup_files_are_up_to_date() -> None:
    kb = load_knowledge()
    for path, expected in ((LOOKUP_FILE, render(kb)), (INTEREST_FILE, render_interests(kb))):
        assert path.read_text(encoding="utf-8") == expected, (
            f"{path.name} is stale: run `.venv/bin/python -m bot.knowledge lookup`"
        )


def test_lookup_has_aliases_and_folded_names() -> None:
    names = set(location_names(load_knowledge()))
    assert {"turku", "åbo", "abo", "göteborg", "goteborg", "københavn", "kobenhavn"} <= names
