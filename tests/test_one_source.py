"""One fact, one place: what cannot import bot.labels.LANGUAGES is checked against it here, and
the generated form rules must match their generator (bot/dialogue_rules.py)."""

from __future__ import annotations

import re
import typing

import pytest
import yaml

from bot import dialogue_rules
from bot.api.models import Language as ApiLanguage
from bot.dialogue import ASIDE_INTENTS
from bot.labels import LANGUAGES, SOURCE_LANGUAGE, labels
from bot.settings import ROOT, Settings, language_or_default


def test_the_api_schema_offers_exactly_our_languages() -> None:
    assert typing.get_args(ApiLanguage) == LANGUAGES


def test_settings_accept_only_our_languages_as_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAGVISAREN_DEFAULT_LANGUAGE", "fi")
    assert Settings().default_language == "fi"
    monkeypatch.setenv("VAGVISAREN_DEFAULT_LANGUAGE", "en")
    with pytest.raises(ValueError, match="default_language"):
        Settings()


def test_an_unknown_language_falls_back_to_the_default_setting() -> None:
    assert language_or_default("da") == "da"
    assert language_or_default("en") == language_or_default(None) == "sv"


@pytest.mark.parametrize("path", ["bot/web/widget.js", "bot/web/counsellor/app.js"])
def test_the_browser_code_lists_our_languages(path: str) -> None:
    source = (ROOT / path).read_text(encoding="utf-8")
    listed = re.findall(r'\[("[a-z]{2}"(?:, "[a-z]{2}")+)\]', source)
    assert listed, f"{path}: no list of languages found"
    for found in listed:
        assert tuple(re.findall(r'"([a-z]{2})"', found)) == LANGUAGES, path


@pytest.mark.parametrize("path", ["bot/summaries/templates.yml", "bot/matching/reasons.yml",
                                  "bot/matching/stopwords.yml",
                                  "bot/web/counsellor/strings.yml"])
def test_every_per_language_file_has_our_languages(path: str) -> None:
    data = yaml.safe_load((ROOT / path).read_text(encoding="utf-8"))
    assert set(LANGUAGES) <= set(data), path


def test_every_label_has_our_languages() -> None:
    per_language = {key: value for key, value in labels().items()
                    if isinstance(value, dict) and SOURCE_LANGUAGE in value}
    assert per_language
    for key, value in per_language.items():
        assert set(value) == set(LANGUAGES), key


def test_a_free_answer_is_an_interest_unless_it_is_another_intent(domain: dict) -> None:
    """The `interests` slot's not_intent list: every intent but the two that give interests,
    so a new intent must be added there too (this test says so when it is not)."""
    from_text = next(m for m in domain["slots"]["interests"]["mappings"]
                     if m["type"] == "from_text")
    assert set(from_text["not_intent"]) == set(domain["intents"]) - {"tell_interest",
                                                                      "tell_location"}
    assert ASIDE_INTENTS <= set(from_text["not_intent"])


def test_the_form_rules_are_the_generated_ones() -> None:
    current = dialogue_rules.RULES_FILE.read_text(encoding="utf-8")
    wanted = dialogue_rules.regenerate(current, dialogue_rules.domain_intents())
    assert current == wanted, "data/rules.yml differs: run `python -m bot.dialogue_rules`"


def test_the_generator_follows_the_intent_list(monkeypatch: pytest.MonkeyPatch) -> None:
    intents = dialogue_rules.domain_intents()
    section = dialogue_rules.render(intents)
    rules = yaml.safe_load("rules:\n" + section)["rules"]
    asides = {step["intent"] for rule in rules for block in rule["steps"]
              for step in block.get("or", [])}
    assert asides == ASIDE_INTENTS - {dialogue_rules.HANDOVER_INTENT}
    assert len(rules) == 6
    # A new aside intent shows up in the generated rules; an unknown one is refused.
    interest, signup = dialogue_rules.FORMS
    wider = dialogue_rules.Form(interest.name, interest.title, interest.asides | {"undecided"})
    monkeypatch.setattr(dialogue_rules, "FORMS", (wider, signup))
    assert "intent: undecided" in dialogue_rules.render(intents)
    assert "intent: undecided" not in section
    with pytest.raises(ValueError, match="not intents of the domain"):
        dialogue_rules.render([i for i in intents if i != "ask_pay"])


def test_every_language_points_to_a_country() -> None:
    from bot.labels import COUNTRY_OF_LANGUAGE

    assert tuple(COUNTRY_OF_LANGUAGE) == LANGUAGES
    assert sorted(COUNTRY_OF_LANGUAGE.values()) == ["DK", "FI", "SE"]
