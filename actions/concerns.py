"""`action_answer_concern`: a worry, a question about pay, a myth or a placement gets a short,
true answer from the knowledge base for the user's country (bot/concerns.py). A message that
also says what the user likes then goes on to suggestions (the interest form).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions.matches import answer_focus, match_for
from actions.safety import apologise_on_error, language_of, plain_of
from bot.concerns import concern_answer, country_name, goes_on, named_interests, pay_answer
from bot.dialogue import INTEREST_FORM, intent_of
from bot.knowledge.loader import load_knowledge
from bot.knowledge.queries import slot_place
from bot.matching import match_interests, names_an_interest
from bot.suggestions import country_for


def message_interests(tracker: Tracker) -> list[str]:
    """The interests the latest message named, not earlier ones (bot.concerns)."""
    message = tracker.latest_message or {}
    language = language_of(tracker)
    return named_interests(intent_of(message), message.get("text") or "",
                           message.get("entities") or [],
                           lambda text: names_an_interest(text, language))


def _professions_asked(tracker: Tracker, country: str, named: list[str]) -> list[str]:
    """The professions a pay question is about: what this message names, else what the user
    said they like earlier; the matcher ranks a named job ("svetsare") first."""
    language = language_of(tracker)
    if named:
        text = (tracker.latest_message or {}).get("text") or ""
        result = match_interests(text, named, lang=language, country=country)
    elif tracker.get_slot("interests"):
        result, _ = match_for(tracker)
    else:
        return []
    return [p.id for p in result.professions]


def answer_concern(dispatcher: CollectingDispatcher, tracker: Tracker, intent: str,
                   companies: bool = True, named: list[str] | None = None) -> None:
    """Utter the answer to `intent` for the user's country. After the answer about
    apprenticeships, nearby companies in the user's fields are named as places to ask.
    `named`: the interests this message names, when the caller has them already."""
    language = language_of(tracker)
    place = slot_place(tracker.get_slot("location"))
    country = country_for(place, language)
    kb = load_knowledge()
    if intent == "ask_pay":
        named = message_interests(tracker) if named is None else named
        response, values = pay_answer(kb, _professions_asked(tracker, country, named), country,
                                      language, plain_of(tracker))
    else:
        response, values = concern_answer(kb, intent, country, language, plain_of(tracker))
    dispatcher.utter_message(response=response, country=country_name(country, language),
                             **values)
    if intent == "ask_apprenticeship" and companies and place is not None and \
            tracker.get_slot("interests"):
        answer_focus(dispatcher, tracker, "companies")


class ActionAnswerConcern(Action):
    def name(self) -> str:
        return "action_answer_concern"

    @apologise_on_error
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        intent = intent_of(tracker.latest_message) or ""
        place_known = bool(tracker.get_slot("location") or tracker.get_slot("location_skipped"))
        named = message_interests(tracker)
        go_on = goes_on(intent, bool(named), place_known)
        answer_concern(dispatcher, tracker, intent, companies=not go_on, named=named)
        return [FollowupAction(INTEREST_FORM)] if go_on else []


class ActionAnswerAdultEducation(Action):
    """Komvux / aikuiskoulutus / voksenuddannelse, and validation of work done abroad. A
    learner who also says what they want to learn ("Jag var elektriker i Syrien. Var kan jag
    läsa el?") then gets suggestions and the schools near them (the interest form asks for the
    place when it is missing)."""

    def name(self) -> str:
        return "action_answer_adult_education"

    @apologise_on_error
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(response="utter_adult_education")
        # Only what the NLU tagged as an interest: "plugga", "läsa" and "studera" are what an
        # adult-education question is about, not what the learner likes.
        message = tracker.latest_message or {}
        tagged = named_interests(intent_of(message), message.get("text") or "",
                                 message.get("entities") or [], lambda _: False)
        return [FollowupAction(INTEREST_FORM)] if tagged else []
