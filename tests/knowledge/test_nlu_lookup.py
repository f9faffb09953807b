"""The NLU place lookup table is generated from the knowledge base and must stay in sync."""

from bot.knowledge.loader import load_knowledge
from bot.knowledge.nlu_lookup import LOOKUP_FILE, location_names, render


def test_lookup_file_is_up_to_date() -> None:
    expected = render(load_knowledge())
    assert LOOKUP_FILE.read_text(encoding="utf-8") == expected, (
        "data/lookups/location.yml is stale: run `.venv/bin/python -m bot.knowledge lookup`"
    )


def test_lookup_has_aliases_and_folded_names() -> None:
    names = set(location_names(load_knowledge()))
    assert {"turku", "åbo", "abo", "göteborg", "goteborg", "københavn", "kobenhavn"} <= names
