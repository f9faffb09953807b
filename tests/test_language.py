"""Language choice: the user wins. The widget's language is a default, a switch of it counts,
a message clearly in another of our languages switches, short or odd text keeps."""

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


def test_a_message_in_another_language_wins_over_the_widget() -> None:
    decision = choose_language("mä tykkään koodata ja pelata", "sv", explicit="sv",
                               previous_explicit="sv")
    assert (decision.language, decision.source) == ("fi", "detected")


def test_the_widget_language_is_the_first_turns_default() -> None:
    assert choose_language("ok", None, explicit="da").language == "da"
    assert choose_language("ok", None).language == "sv"


def test_switching_the_widget_counts() -> None:
    decision = choose_language("ok", "sv", explicit="fi", previous_explicit="sv")
    assert (decision.language, decision.source) == ("fi", "metadata")


def test_a_widget_that_follows_the_bot_is_no_switch() -> None:
    # The bot answered in Finnish and the widget followed: "ok" keeps Finnish.
    assert choose_language("ok", "fi", explicit="fi", previous_explicit="sv").language == "fi"


def test_a_widget_left_on_swedish_does_not_pull_back() -> None:
    assert choose_language("ok", "fi", explicit="sv", previous_explicit="sv").language == "fi"


@pytest.mark.parametrize(("text", "expected"), [("moi", "fi"), ("moikka", "fi"),
                                                ("terve", "fi"), ("hejsa", "da"),
                                                ("goddag", "da"), ("Hejsan!", "sv")])
def test_greetings_set_their_language(text: str, expected: str) -> None:
    assert choose_language(text, None, explicit="sv").language == expected


def test_a_buttons_payload_keeps_the_language() -> None:
    payload = '/tell_interest{"interest": "korjata autoja ja mopoja"}'
    assert choose_language(payload, "fi", explicit="fi").language == "fi"


def test_detection_switches_language() -> None:
    decision = choose_language("Moi! Mitä sä osaat?", current="sv")
    assert (decision.language, decision.source) == ("fi", "detected")


@pytest.mark.parametrize(
    ("raw", "expected"), [("sv", "sv"), ("FI", "fi"), ("da-DK", "da"), ("en", None), (3, None)]
)
def test_normalise(raw: object, expected: str | None) -> None:
    assert normalise(raw) == expected


def test_plain_language_request() -> None:
    assert plain_language_requested(True, "greet") is True  # the first turn's checkbox
    assert plain_language_requested(None, "ask_plain_language") is True
    assert plain_language_requested(None, "greet") is None


def test_a_typed_request_beats_an_unticked_checkbox_and_stays() -> None:
    assert plain_language_requested(False, "ask_plain_language", previous_explicit=False) is True
    # Later turns: the checkbox was not touched, so nothing changes.
    assert plain_language_requested(False, "tell_interest", "bilar", previous_explicit=False) \
        is None


def test_changing_the_checkbox_counts() -> None:
    assert plain_language_requested(False, "greet", previous_explicit=True) is False
    assert plain_language_requested(True, "greet", previous_explicit=False) is True


@pytest.mark.parametrize(
    "text",
    ["jag läser sfi och vill jobba med el", "Opiskelen suomea ja tykkään autoista",
     "jeg går på sprogskole og kan lide biler"],
)
def test_learner_words_turn_plain_language_on(text: str) -> None:
    assert plain_language_requested(None, "tell_interest", text) is True


def test_ordinary_message_leaves_plain_language_alone() -> None:
    assert plain_language_requested(None, "tell_interest", "jag gillar svenska och matte") is None
