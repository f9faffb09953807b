"""The domain keeps its contract: every response in sv, fi and da, each with a plain variant."""

from __future__ import annotations

import itertools

import pytest

from bot.labels import LANGUAGES
from bot.settings import Settings

REQUIRED_INTENTS = {
    "greet", "goodbye", "thank", "affirm", "deny", "help", "bot_challenge", "tell_interest",
    "ask_programmes", "ask_professions", "ask_companies", "ask_study_visit", "tell_location",
    "ask_requirements", "ask_adult_education", "ask_counsellor", "out_of_scope",
}


def _variants(variations: list[dict]) -> set[tuple[str, bool]]:
    found = set()
    for variation in variations:
        condition = {c["name"]: c["value"] for c in variation.get("condition", [])}
        if variation.get("text") or variation.get("custom"):
            found.add((condition.get("language"), condition.get("plain_language")))
    return found


def test_every_response_has_all_languages_and_plain_variants(domain: dict) -> None:
    wanted = set(itertools.product(LANGUAGES, (False, True)))
    problems = {
        name: sorted(wanted - _variants(variations), key=str)
        for name, variations in domain["responses"].items()
        if not wanted <= _variants(variations)
    }
    assert not problems, f"responses missing (language, plain) variants: {problems}"


def test_every_response_ends_with_a_default_in_the_default_language(domain: dict) -> None:
    """If the language slot is unset (action_set_language failed), Rasa sends a response's
    variation without a condition; without one, the turn would get no reply at all."""
    default = Settings.model_fields["default_language"].default
    for name, variations in domain["responses"].items():
        defaults = [v for v in variations if "condition" not in v]
        assert len(defaults) == 1, f"{name}: {len(defaults)} variations without a condition"
        # Last: bot/responses.py picks the first variation that matches, as conditions go.
        assert variations[-1] is defaults[0], f"{name}: the default must be the last variation"
        wanted = next(v for v in variations if {c["name"]: c["value"] for c in v.get(
            "condition", [])} == {"language": default, "plain_language": False})
        assert defaults[0] == {k: v for k, v in wanted.items() if k != "condition"}, name


def test_a_turn_without_a_language_gets_the_default_text(domain: dict) -> None:
    from bot.responses import variation

    assert variation(domain, "utter_greet", "xx", False) == domain["responses"]["utter_greet"][-1]
    assert variation(domain, "utter_greet", "fi", True)["condition"][0]["value"] == "fi"


def test_intent_and_slot_contract(domain: dict) -> None:
    assert REQUIRED_INTENTS <= set(domain["intents"])
    assert {"interest", "location"} <= set(domain["entities"])
    assert {"language", "location", "interests", "plain_language"} <= set(domain["slots"])
    assert domain["slots"]["language"]["values"] == list(LANGUAGES)


@pytest.mark.parametrize("slot", ["language", "plain_language"])
def test_language_slots_are_filled_by_the_custom_action_every_turn(domain: dict, slot: str) -> None:
    assert {"type": "custom", "action": "action_set_language"} in domain["slots"][slot]["mappings"]
