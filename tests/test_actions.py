"""The rasa_sdk actions, run on real Tracker objects as the action server builds them."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.language import ActionSetLanguage


def _tracker(text: str, slots: dict[str, Any], metadata: dict[str, Any] | None = None,
             intent: str = "help") -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": [],
              "metadata": metadata or {}}
    return Tracker("pupil-1", slots, latest, [], False, None, {}, "action_listen")


def _run(tracker: Tracker) -> list[dict[str, Any]]:
    return ActionSetLanguage().run(CollectingDispatcher(), tracker, {})


def test_sets_detected_language() -> None:
    events = _run(_tracker("Moi! Mitä sä osaat?", {"language": "sv", "plain_language": False}))
    assert {"event": "slot", "name": "language", "value": "fi"}.items() <= events[0].items()


def test_keeps_language_on_short_message() -> None:
    assert _run(_tracker("ok", {"language": "da", "plain_language": False})) == []


def test_switching_the_widget_sets_language_and_plain_mode() -> None:
    events = _run(_tracker("hej", {"language": "sv", "plain_language": False,
                                   "widget_language": "sv", "widget_plain": False},
                           {"language": "da", "plain_language": True}))
    values = {e["name"]: e["value"] for e in events}
    assert values == {"language": "da", "plain_language": True, "widget_language": "da",
                      "widget_plain": True}


def test_finnish_words_win_over_a_swedish_page() -> None:
    events = _run(_tracker("mä tykkään koodata ja pelata", {"language": "sv",
                                                             "widget_language": "sv"},
                           {"language": "sv", "plain_language": False}))
    assert ("language", "fi") in [(e["name"], e["value"]) for e in events]


def test_a_typed_plain_request_stays_on_while_the_checkbox_is_untouched() -> None:
    slots = {"language": "sv", "plain_language": True, "widget_language": "sv",
             "widget_plain": False}
    events = _run(_tracker("jag gillar bilar", slots, {"language": "sv",
                                                       "plain_language": False}, "tell_interest"))
    assert "plain_language" not in [e["name"] for e in events]


def test_plain_language_intent_turns_plain_mode_on() -> None:
    events = _run(_tracker("jag lär mig svenska", {"language": "sv", "plain_language": False},
                           intent="ask_plain_language"))
    assert {e["name"]: e["value"] for e in events}["plain_language"] is True


def test_same_language_again_is_no_event() -> None:
    assert _run(_tracker("jag gillar att skruva på mopeder", {"language": "sv"})) == []


def test_first_turn_records_a_language_even_when_unsure() -> None:
    events = _run(_tracker("ok", {"language": None, "plain_language": False}))
    assert [(e["name"], e["value"]) for e in events] == [("language", "sv")]
