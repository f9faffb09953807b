"""Forms with exits and answers of their own, on real trackers with CollectingDispatcher.

A form re-asks once with examples and then goes on without the slot; a question in passing is
no miss; a follow-up question after the first suggestions gets its own kind of answer.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.asking import ActionAskInterests, ActionAskLocation, ActionAskNickname, close_place
from actions.fallback import ActionUnderstandFallback
from actions.forms import ValidateInterestForm, ValidateSignupForm, ValidateSlotMappings
from actions.matches import ActionSuggestMatches
from bot.dialogue import form_trigger_intent, interest_prompt, location_prompt, next_misses
from bot.privacy import SKIPPED
from bot.settings import ROOT

DOMAIN: dict[str, Any] = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def _user(text: str, intent: str, entities: list[dict[str, Any]] | None = None) -> dict:
    return {"event": "user", "text": text,
            "parse_data": {"text": text, "intent": {"name": intent, "confidence": 0.9},
                           "entities": entities or []}}


def _tracker(text: str, intent: str, slots: dict[str, Any], candidates: dict[str, Any] | None =
             None, form: str | None = "interest_form", history: list[dict] | None = None,
             entities: list[dict[str, Any]] | None = None) -> Tracker:
    user = _user(text, intent, entities)
    events = [*(history or []), user]
    events += [{"event": "slot", "name": k, "value": v} for k, v in (candidates or {}).items()]
    base = {"language": "sv", "plain_language": False, "form_misses": 0,
            "location_skipped": False, **slots, **(candidates or {})}
    return Tracker("pupil-9", base, user["parse_data"] | {"metadata": {}}, events, False, None,
                   {"name": form} if form else {}, "action_listen")


def _validate(action: Any, tracker: Tracker) -> tuple[dict[str, Any], CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, DOMAIN))
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}, dispatcher


ASKING_PLACE = {"interests": ["bilar"], "requested_slot": "location"}


def test_a_place_answer_fills_the_place() -> None:
    slots, _ = _validate(ValidateInterestForm(), _tracker(
        "Vännäs", "tell_location", ASKING_PLACE, {"location": "vannas"}))
    assert slots["location"] == "vannas"
    assert slots["requested_slot"] is None


def test_a_message_that_is_no_place_is_re_asked_once_then_the_form_goes_on() -> None:
    first, _ = _validate(ValidateInterestForm(), _tracker(
        "asdfgh", "nlu_fallback", ASKING_PLACE))
    assert first["form_misses"] == 1 and first["requested_slot"] == "location"
    second, _ = _validate(ValidateInterestForm(), _tracker(
        "qwerty", "nlu_fallback", {**ASKING_PLACE, "form_misses": 1}))
    assert second["location_skipped"] is True
    assert second["requested_slot"] is None  # suggestions without a place


@pytest.mark.parametrize("intent", ["deny", "undecided"])
def test_not_saying_where_skips_the_place_at_once(intent: str) -> None:
    slots, _ = _validate(ValidateInterestForm(), _tracker("vill inte säga", intent, ASKING_PLACE))
    assert slots["location_skipped"] is True and slots["requested_slot"] is None


@pytest.mark.parametrize("intent", ["ask_counsellor", "help", "ask_requirements",
                                    "ask_companies", "bot_challenge"])
def test_a_question_in_passing_is_answered_first_and_is_no_miss(intent: str) -> None:
    # The first run hands the turn to the rules (action_answer_aside), even when the message
    # also re-filled another slot...
    tracker = _tracker("Hur länge är utbildningen om el?", intent,
                       {**ASKING_PLACE, "form_misses": 1}, {"interests": ["el"]})
    events = asyncio.run(ValidateInterestForm().run(CollectingDispatcher(), tracker, DOMAIN))
    assert [e["event"] for e in events] == ["action_execution_rejected"]
    # ...and after the answer the form asks again, without counting a miss.
    user = _user("Hur länge är utbildningen om el?", intent)
    answered = [user, {"event": "action", "name": "action_answer_aside"}]
    tracker = Tracker("pupil-9", {"language": "sv", "form_misses": 1, **ASKING_PLACE},
                      user["parse_data"], answered, False, None, {"name": "interest_form"},
                      "action_answer_aside")
    slots, _ = _validate(ValidateInterestForm(), tracker)
    assert slots.get("form_misses", 1) == 1
    assert slots["requested_slot"] == "location"


ASKING_INTERESTS = {"requested_slot": "interests"}


def test_a_free_answer_that_names_an_interest_is_kept() -> None:
    slots, _ = _validate(ValidateInterestForm(), _tracker(
        "typ grejer med motorer", "nlu_fallback", ASKING_INTERESTS,
        {"interests": "typ grejer med motorer"}))
    assert slots["interests"] == ["typ grejer med motorer"]
    assert slots["requested_slot"] == "location"


def test_nonsense_is_no_interest_and_the_third_time_the_form_lets_go() -> None:
    first, _ = _validate(ValidateInterestForm(), _tracker(
        "asdf", "nlu_fallback", ASKING_INTERESTS, {"interests": "asdf"}))
    assert first["interests"] is None and first["form_misses"] == 1
    assert first["requested_slot"] == "interests"
    third, _ = _validate(ValidateInterestForm(), _tracker(
        "jkjk", "nlu_fallback", {**ASKING_INTERESTS, "form_misses": 2}, {"interests": "jkjk"}))
    assert third["requested_slot"] is None  # action_suggest_matches then says "no hurry"


def test_a_question_about_jobs_after_the_suggestions_needs_no_place() -> None:
    history = [_user("jag gillar el", "tell_interest"),
               {"event": "action", "name": "action_suggest_matches"},
               _user("vad kan man tjäna som elektriker?", "ask_professions"),
               {"event": "active_loop", "name": "interest_form"}]
    slots, _ = _validate(ValidateInterestForm(), _tracker(
        "el", "tell_interest", ASKING_INTERESTS, {"interests": ["el"]}, history=history))
    assert slots["requested_slot"] is None


def test_the_prompts_change_with_each_miss() -> None:
    assert interest_prompt(0, "tell_interest") == "utter_ask_interests"
    assert interest_prompt(1, "nlu_fallback") == "utter_ask_interests_again"
    assert interest_prompt(2, "nlu_fallback") == "utter_undecided"
    assert interest_prompt(0, "undecided") == "utter_undecided"
    assert location_prompt(0, "x") == ("utter_ask_location", {})
    assert location_prompt(1, "Bjurholmm") == ("utter_location_unknown",
                                               {"location": "Bjurholmm"})
    # Close to a place we know: offered as a button, never taken on a guess.
    assert location_prompt(1, "skelleftå", close_place) == ("utter_location_did_you_mean", {
        "location": "skelleftå", "place": "Skellefteå", "place_id": "skelleftea"})
    assert location_prompt(1, "Götebrog.", close_place) == ("utter_location_did_you_mean", {
        "location": "Götebrog", "place": "Göteborg", "place_id": "goteborg"})
    # No place word is offered for what is no place at all.
    assert location_prompt(1, "ingen aning", close_place)[0] == "utter_location_unknown"
    assert location_prompt(1, "Bjurholmm", close_place)[0] == "utter_location_unknown"
    assert location_prompt(1, "jag vet inte riktigt vad du menar") == (
        "utter_ask_location_again", {})
    assert next_misses(1, False, "help", "hjälp") == 1
    assert next_misses(1, True, "tell_location", "Umeå") == 0
    assert next_misses(0, False, "help", "???") == 1  # no words: nothing was asked
    # Keyboard noise the classifier reads as "help" is no answer and no question either.
    assert next_misses(1, False, "help", "ghjghj") == 2
    assert next_misses(1, False, "help", "apua") == 1


def _ask(action: Any, text: str, intent: str, misses: int) -> list[str]:
    dispatcher = CollectingDispatcher()
    tracker = _tracker(text, intent, {"form_misses": misses})
    asyncio.run(action.run(dispatcher, tracker, DOMAIN))
    return [m["response"] for m in dispatcher.messages]


def test_ask_actions_never_repeat_the_same_question() -> None:
    assert _ask(ActionAskInterests(), "vet inte", "undecided", 0) == ["utter_undecided"]
    assert _ask(ActionAskInterests(), "asdf", "nlu_fallback", 1) == ["utter_ask_interests_again"]
    assert _ask(ActionAskLocation(), "?", "nlu_fallback", 1) == ["utter_ask_location_again"]
    assert _ask(ActionAskNickname(), "hjälp", "help", 1) == ["utter_nickname_invalid"]


def test_undecided_buttons_each_lead_to_a_field() -> None:
    from bot.matching import names_an_interest

    for variation in DOMAIN["responses"]["utter_undecided"]:
        # The default variation (no condition) is the Swedish one.
        language = variation["condition"][0]["value"] if "condition" in variation else "sv"
        assert 4 <= len(variation["buttons"]) <= 6
        for button in variation["buttons"]:
            # Rasa reads "{{" in a response as "{": the payload is /intent{"entity": "value"}
            entities = button["payload"].replace("{{", "{").replace("}}", "}").split("{", 1)[1]
            interest = json.loads("{" + entities)["interest"]
            assert names_an_interest(interest, language), (language, interest)


@pytest.mark.parametrize("word", ["hjälp", "ok", "apua", "hejdå", "farvel", "okej"])
def test_command_words_are_no_names(word: str) -> None:
    slots, _ = _validate(ValidateSignupForm(), _tracker(
        word, "nlu_fallback", {"visit_id": "industrinatten_goteborg",
                               "requested_slot": "nickname"}, {"nickname": word},
        form="signup_form"))
    assert slots["nickname"] is None and slots["requested_slot"] == "nickname"


def test_two_answers_that_are_no_name_sign_up_without_one() -> None:
    slots, _ = _validate(ValidateSignupForm(), _tracker(
        "ok", "affirm", {"visit_id": "industrinatten_goteborg", "requested_slot": "nickname",
                         "form_misses": 1}, form="signup_form"))
    assert slots["nickname"] == SKIPPED and slots["requested_slot"] is None


def test_a_language_change_is_reported_to_the_widget() -> None:
    tracker = _tracker("moi", "greet", {"language": "fi"}, {"language": "fi"}, form=None)
    _, dispatcher = _validate(ValidateSlotMappings(), tracker)
    assert {"type": "state", "language": "fi", "plain_language": False} in [
        m["custom"] for m in dispatcher.messages]


def _suggest(history: list[dict], text: str, intent: str, slots: dict[str, Any]) -> list[dict]:
    dispatcher = CollectingDispatcher()
    tracker = _tracker(text, intent, slots, form=None, history=history)
    asyncio.run(ActionSuggestMatches().run(dispatcher, tracker, DOMAIN))
    return dispatcher.messages


FIRST = [_user("jag gillar att svetsa", "tell_interest"),
         {"event": "active_loop", "name": "interest_form"}]


def test_a_follow_up_question_gets_its_own_answer() -> None:
    seen = [*FIRST, {"event": "active_loop", "name": None},
            {"event": "action", "name": "action_suggest_matches"},
            _user("vilka företag finns det nära mig?", "ask_companies"),
            {"event": "active_loop", "name": "interest_form"}]
    assert form_trigger_intent(seen) == "ask_companies"
    messages = _suggest(seen, "vilka företag finns det nära mig?", "ask_companies",
                        {"interests": ["svetsa"], "location": "trollhattan"})
    assert messages[0]["response"] == "utter_companies_near"
    items = messages[-1]["custom"]["items"]
    assert items and {i["kind"] for i in items} == {"company"}
    distances = [i["distance_km"] for i in items]
    assert distances == sorted(distances) and distances[0] < 60


def test_without_a_place_suggestions_are_national_and_say_so() -> None:
    messages = _suggest(FIRST, "jag gillar att svetsa", "tell_interest",
                        {"interests": ["svetsa"], "location": None})
    names = [m["response"] for m in messages if m["response"]]
    assert names[:2] == ["utter_matches_national", "utter_national_only"]


def test_far_from_everything_says_how_far() -> None:
    messages = _suggest(FIRST, "jag gillar att svetsa", "tell_interest",
                        {"interests": ["svetsa"], "location": "kiruna"})
    far = next(m for m in messages if m["response"] == "utter_far_away")
    assert int(far["km"]) > 100 and far["place"] == "Kiruna"


def test_the_same_block_twice_is_not_repeated() -> None:
    first = _suggest(FIRST, "jag gillar att svetsa", "tell_interest",
                     {"interests": ["svetsa"], "location": "umea"})
    from bot.responses import render

    text = render(DOMAIN, "utter_matches", "sv", False, first[0])
    again = _suggest([*FIRST, {"event": "bot", "text": text}], "jag gillar att svetsa",
                     "tell_interest", {"interests": ["svetsa"], "location": "umea"})
    assert [m["response"] for m in again] == ["utter_same_again"]


@pytest.mark.parametrize(("text", "language"), [("jeg bor i vejle", "da"),
                                                ("jeg skriver på vegne af min datter", "da"),
                                                ("asdfgh", "sv"), ("oon kasilla", "fi")])
def test_words_that_only_resemble_an_interest_are_none(text: str, language: str) -> None:
    from bot.matching import names_an_interest

    assert not names_an_interest(text, language)


def test_a_message_about_interests_counts_without_a_tagged_span() -> None:
    entities = [{"entity": "location", "value": "rauma", "start": 25, "end": 33}]
    slots, _ = _validate(ValidateInterestForm(), _tracker(
        "haluun sahkohommiin, oon raumalta", "tell_interest",
        {"requested_slot": None, "language": "fi"},
        {"location": "rauma"}, form=None, entities=entities))
    assert slots["interests"] == ["haluun sahkohommiin, oon"]
    assert slots["requested_slot"] is None


def test_plain_language_asked_twice_gets_other_words() -> None:
    from actions.aside import ActionAnswerAside

    first = [_user("jag läser sfi", "ask_plain_language"),
             {"event": "slot", "name": "plain_language", "value": True},
             {"event": "bot", "text": "Okej! Nu skriver jag lätt svenska."}]
    dispatcher = CollectingDispatcher()
    tracker = _tracker("kan du skriva enkelt?", "ask_plain_language", {"plain_language": True},
                       form=None, history=first)
    asyncio.run(ActionAnswerAside().run(dispatcher, tracker, DOMAIN))
    assert [m["response"] for m in dispatcher.messages] == ["utter_plain_language_already"]


def test_a_form_that_starts_with_a_question_answers_it_itself() -> None:
    """"hvilke uddannelser er der?" starts the form: no answer in passing, or it comes twice."""
    tracker = _tracker("hvilke uddannelser er der?", "ask_programmes",
                       {"requested_slot": None, "interests": ["svejse"], "location": "odense",
                        "language": "da"})
    events = asyncio.run(ValidateInterestForm().run(CollectingDispatcher(), tracker, DOMAIN))
    assert "action_execution_rejected" not in [e["event"] for e in events]
    assert {e["name"]: e["value"] for e in events if e["event"] == "slot"}["requested_slot"] \
        is None


def test_goodbye_inside_a_form_goes_to_the_goodbye_rule() -> None:
    tracker = _tracker("måste sluta nu, hejdå", "goodbye", ASKING_PLACE)
    events = asyncio.run(ValidateInterestForm().run(CollectingDispatcher(), tracker, DOMAIN))
    assert [e["event"] for e in events] == ["action_execution_rejected"]


@pytest.mark.parametrize("text,language", [
    ("Jag vill laga maskiner i en fabrik", "sv"),
    ("I Polen jeg satte stikkontakter op", "da"),
])
def test_an_unread_message_that_names_an_interest_starts_the_interest_form(
        text: str, language: str) -> None:
    dispatcher = CollectingDispatcher()
    tracker = _tracker(text, "nlu_fallback", {"language": language}, form=None)
    events = asyncio.run(ActionUnderstandFallback().run(dispatcher, tracker, DOMAIN))
    assert dispatcher.messages == []
    assert events[0]["name"] == "interests" and events[0]["value"] == [text]
    assert events[1] == {"event": "followup", "name": "interest_form", "timestamp": None}


@pytest.mark.parametrize("text", ["asdfgh qwerty", "???", "/restart"])
def test_an_unread_message_with_nothing_we_know_gets_the_friendly_redirect(text: str) -> None:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionUnderstandFallback().run(
        dispatcher, _tracker(text, "nlu_fallback", {}, form=None), DOMAIN))
    assert events == [] and [m["response"] for m in dispatcher.messages] == ["utter_default"]


@pytest.mark.parametrize(("text", "language"), [
    ("Jeg vil gerne arbejde med store maskiner på en fabrik", "da"),  # automation, manufacturing
    ("metalli työ, minä tein sitä Irakissa", "fi"),  # manufacturing, process and chemistry
    ("hus", "sv"),  # construction, plumbing and property
])
def test_a_word_that_several_fields_share_still_names_an_interest(text: str,
                                                                    language: str) -> None:
    from bot.matching import names_an_interest

    assert names_an_interest(text, language)


@pytest.mark.parametrize(("text", "language"), [
    ("asdf", "sv"), ("jeg ved ikke hvad jeg skal vælge", "da"), ("bor i vejle", "da"),
    ("en tiiä yhtään", "fi"), ("vet inte", "sv")])
def test_not_knowing_and_places_name_no_interest(text: str, language: str) -> None:
    from bot.matching import names_an_interest

    assert not names_an_interest(text, language)


def test_not_knowing_what_to_choose_next_to_an_interest_keeps_the_interest() -> None:
    # The undecided rule starts the form; "aner ikke" is about the choice, the computer is
    # what the son likes: the form goes on to the place, not to the list of activities.
    text = "Min søn sidder altid ved computeren, men han aner ikke hvad han skal vælge"
    slots, _ = _validate(ValidateInterestForm(), _tracker(text, "undecided", {"language": "da"}))
    assert slots["interests"] == [text]
    assert slots["requested_slot"] == "location"


def test_not_knowing_alone_asks_for_interests() -> None:
    slots, _ = _validate(ValidateInterestForm(), _tracker(
        "jeg ved ikke hvad jeg skal vælge", "undecided", {"language": "da"}))
    assert not slots.get("interests")
    assert slots["requested_slot"] == "interests"
