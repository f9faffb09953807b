"""Every example of issue 12 ("Conversations that never trap"), end to end on the real stack.

Each was a trap on the day it was reported: a word taken for a place, a form that never let
go, a follow-up question answered with the same block again. The checks are those of
tests/conversations/ (bot/dialogue_eval.py), so a regression names the turn that failed.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.dialogue_eval import Conversation, Runner

pytestmark = pytest.mark.e2e

NO_PLACE_GUESS = {"not_says": ["utter_location_unknown", "utter_default", "utter_goodbye"]}


def _conversation(id_: str, language: str, *turns: dict[str, Any],
                  widget: dict[str, Any] | None = None) -> Conversation:
    return Conversation(id=id_, persona="pupil", language=language,
                        widget=widget or {"language": language}, fast=True, turns=list(turns))


EXAMPLES = [
    # A sentence's first word is never a place.
    _conversation("first-word-jag", "sv", {"user": "Jag vill laga maskiner i en fabrik",
                                           "expect": {"asks": "location", **NO_PLACE_GUESS,
                                                      "slots": {"location": None}}}),
    _conversation("first-word-vilka", "sv", {"user": "Vilka företag finns det i närheten?",
                                             "expect": {**NO_PLACE_GUESS,
                                                        "slots": {"location": None}}}),
    # A foreign country is where the user came from, and the interest in the message counts.
    _conversation("foreign-irak-sv", "sv", {"user": "I Irak jag jobbade med svets",
                                            "expect": {"asks": "location", **NO_PLACE_GUESS,
                                                       "slots": {"location": None}}}),
    _conversation("foreign-irak-fi", "fi", {"user": "Olin sähkömies Irakissa",
                                            "expect": {"asks": "location", **NO_PLACE_GUESS,
                                                       "slots": {"location": None}}}),
    _conversation("foreign-polen-da", "da", {"user": "I Polen jeg satte stikkontakter op",
                                             "expect": {"asks": "location", **NO_PLACE_GUESS,
                                                        "slots": {"location": None}}}),
    # The form is no trap: a handover and questions are answered while it asks for the place.
    _conversation("form-handover", "sv",
                  {"user": "jag gillar att svetsa", "expect": {"asks": "location"}},
                  {"user": "Jag vill prata med en människa",
                   "expect": {"handover": True, "asks": "location", **NO_PLACE_GUESS}},
                  {"user": "Hur länge är utbildningen?", "expect": NO_PLACE_GUESS}),
    _conversation("form-eux", "da",
                  {"user": "jeg kan godt lide at bygge ting", "expect": {"asks": "location"}},
                  {"user": "hvad er en EUX?", "expect": {**NO_PLACE_GUESS,
                                                         "slots": {"location": None}}}),
    _conversation("pay-question", "da",
                  {"user": "hvad kan man tjene som elektriker?",
                   "expect": {**NO_PLACE_GUESS, "says": ["utter_pay"]}}),
    # A place given earlier is kept.
    _conversation("place-kept", "sv", {"user": "Hej. Jag bor i Vännäs.",
                                       "expect": {"asks": "interests",
                                                  "slots": {"location": "vannas"}}},
                  {"user": "Jag vill jobba med el",
                   "expect": {"suggestions": ["programme", "profession", "company"],
                              "fields": ["electrical"]}}),
    # Towns outside the knowledge base get suggestions with honest distances.
    _conversation("town-stockholm", "sv", {"user": "jag bor i Stockholm och gillar robotar",
                                           "expect": {"suggestions": ["programme", "company"],
                                                      "slots": {"location": "stockholm"},
                                                      "says": ["utter_far_away"]}}),
    _conversation("town-tampere", "fi", {"user": "asun Tampereella ja tykkään roboteista",
                                         "expect": {"suggestions": ["programme", "company"],
                                                    "slots": {"location": "tampere"}}}),
    _conversation("town-aabenraa", "da", {"user": "jeg bor i Aabenraa og kan lide robotter",
                                          "expect": {"suggestions": ["programme", "company"],
                                                     "slots": {"location": "aabenraa"}}}),
    # Follow-up questions get their own answer.
    _conversation("follow-up-sv", "sv",
                  {"user": "jag gillar att svetsa och bor i Trollhättan",
                   "expect": {"suggestions": ["company"]}},
                  {"user": "vilka företag finns det nära mig?",
                   "expect": {"only": "company", "within_km": 60}}),
    _conversation("follow-up-fi", "fi",
                  {"user": "tykkään hitsata, asun Turussa", "expect": {"suggestions": ["company"]}},
                  {"user": "mitä yrityksiä porissa on?",
                   "expect": {"only": "company", "within_km": 60,
                              "slots": {"location": "pori"}}}),
    _conversation("follow-up-da", "da",
                  {"user": "jeg kan lide at svejse og bor i Odense",
                   "expect": {"suggestions": ["company"]}},
                  {"user": "hvilke uddannelser er der?", "expect": {"only": "programme"}},
                  {"user": "hvilke virksomheder er der tæt på?",
                   "expect": {"only": "company", "within_km": 70}}),
    # Other misreadings.
    _conversation("not-goodbye", "sv",
                  {"user": "hej! jag går i 8an i Stenungsund och är bra på kemi",
                   "expect": {"not_says": ["utter_goodbye"], "fields": ["process_chemistry"],
                              "slots": {"location": "stenungsund"}}}),
    _conversation("yes-after-visits", "sv",
                  {"user": "jag gillar bilar och bor i Göteborg",
                   "expect": {"says": ["utter_ask_visit"]}},
                  {"user": "ja", "expect": {"only": "visit"}},
                  {"user": "ja", "expect": {"asks": "visit", "buttons": 1,
                                            "not_says": ["utter_default"]}}),
    _conversation("moi", "fi", {"user": "moi", "expect": {"language": "fi"}},
                  widget={"language": "sv"}),
    # The user wins over the widget.
    _conversation("finnish-on-swedish-page", "fi",
                  {"user": "mä tykkään koodata ja pelata", "expect": {"language": "fi"}},
                  widget={"language": "sv"}),
    _conversation("plain-stays", "sv",
                  {"user": "Kan du skriva lätt svenska?", "expect": {"plain_language": True}},
                  {"user": "jag gillar att laga bilar",
                   "expect": {"plain_language": True, "asks": "location",
                              "slots": {"plain_language": True}}}),
]


@pytest.mark.parametrize("conversation", EXAMPLES, ids=[c.id for c in EXAMPLES])
def test_issue_example(runner: Runner, conversation: Conversation) -> None:
    result = runner.run(conversation)
    assert len(result.turns) == len(conversation.turns)
    assert result.ok, result.report()
