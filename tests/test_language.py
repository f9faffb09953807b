"""Language choice: metadata wins, confident detection switches, short or odd text keeps."""

import pytest

from bot.language import choose_language, detect, normalise, plain_language_requested


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hej! Vad kan du hjälpa mig med?", "sv"),
        ("jag gillar att skruva på mopeder", "sv"),
        ("Moi! Mitä sä osaat?", "fi"),
        ("mä tykkään koodata", "fi"),
        ("Hej, hvad kan du hjælpe mig med?", "da"),
        ("jeg er god til matematik", "da"),
        ("jeg arbejde svejser i mit land", "da"),
    ],
)
def test_detects_supported_languages(text: str, expected: str) -> None:
    assert detect(text)[0] == expected


@pytest.mark.parametrize("text", ["hej", "ok", "hej hej", "nej", "👍", "", "   ", "12345"])
def test_short_or_ambiguous_text_keeps_current_language(text: str) -> None:
    decision = choose_language(text, current="fi")
    assert decision.language == "fi"
    assert decision.source == "kept"


def test_unsupported_language_keeps_current() -> None:
    decision = choose_language("I really like cars and football, what should I do?", "da")
    assert (decision.language, decision.source) == ("da", "kept")


def test_metadata_overrides_detection() -> None:
    decision = choose_language("jag gillar att skruva på mopeder", "sv", explicit="fi")
    assert (decision.language, decision.source) == ("fi", "metadata")


def test_detection_switches_language() -> None:
    decision = choose_language("Moi! Mitä sä osaat?", current="sv")
    assert (decision.language, decision.source) == ("fi", "detected")


@pytest.mark.parametrize(
    ("raw", "expected"), [("sv", "sv"), ("FI", "fi"), ("da-DK", "da"), ("en", None), (3, None)]
)
def test_normalise(raw: object, expected: str | None) -> None:
    assert normalise(raw) == expected


def test_plain_language_request() -> None:
    assert plain_language_requested(True, "greet") is True
    assert plain_language_requested(False, "ask_plain_language") is False
    assert plain_language_requested(None, "ask_plain_language") is True
    assert plain_language_requested(None, "greet") is None


@pytest.mark.parametrize(
    "text",
    ["jag läser sfi och vill jobba med el", "Opiskelen suomea ja tykkään autoista",
     "jeg går på sprogskole og kan lide biler"],
)
def test_learner_words_turn_plain_language_on(text: str) -> None:
    assert plain_language_requested(None, "tell_interest", text) is True


def test_ordinary_message_leaves_plain_language_alone() -> None:
    assert plain_language_requested(None, "tell_interest", "jag gillar svenska och matte") is None
