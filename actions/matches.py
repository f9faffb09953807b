"""`action_suggest_matches`: programmes, professions and companies for what the user likes.

After the interest form it answers the question that started the form: "which companies are
near me?" gets companies, "which programmes?" programmes, "what jobs?" jobs, each on its own;
anything else gets the first suggestions and the question about visits.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.safety import apologise_on_error, language_of
from bot.audience import audience_of
from bot.dialogue import Focus, bot_texts, focus_of, form_trigger_intent, has_run
from bot.knowledge.queries import slot_place
from bot.knowledge.schema import Place
from bot.matching import MatchResult, get_matcher, match_interests
from bot.matching.shared import matcher_loaded
from bot.responses import render
from bot.service_state import READY_ACTION
from bot.suggestions import (
    SHOWN_ON_REQUEST,
    company_items,
    company_lines,
    country_for,
    far_away,
    field_names,
    interest_text,
    match_items,
    match_summary,
    payload,
    profession_items,
    profession_lines,
    programme_items,
    programme_lines,
    study_near,
)


def match_for(tracker: Tracker) -> tuple[MatchResult, Place | None]:
    """The matcher's answer for everything the user said they like, near their place."""
    language = language_of(tracker)
    interests = tracker.get_slot("interests") or []
    place = slot_place(tracker.get_slot("location"))
    result = match_interests(
        interest_text(tracker.events, interests), interests, lang=language,
        country=country_for(place, language), place=place.id if place else None,
        audience=audience_of(tracker.events),
    )
    return result, place


def answer_focus(dispatcher: CollectingDispatcher, tracker: Tracker, focus: Focus) -> bool:
    """Companies, programmes or jobs on their own, with a line on each; False without a
    field to go on."""
    language = language_of(tracker)
    result, place = match_for(tracker)
    if not result.fields:
        return False
    fields = field_names(result, language)
    if focus == "companies":
        companies = result.companies[:SHOWN_ON_REQUEST]
        if place is not None:
            dispatcher.utter_message(response="utter_companies_near", fields=fields,
                                     place=place.name, lines=company_lines(companies))
            if (far := far_away(result, place)) is not None:
                dispatcher.utter_message(response="utter_far_away", **far)
        else:
            dispatcher.utter_message(response="utter_companies_national", fields=fields,
                                     lines=company_lines(companies))
            dispatcher.utter_message(response="utter_national_only")
        items = company_items(companies)
    elif focus == "programmes":
        programmes = result.programmes[:SHOWN_ON_REQUEST]
        dispatcher.utter_message(response="utter_programmes_answer", fields=fields,
                                 lines=programme_lines(programmes, language, place))
        items = programme_items(programmes, place)
    else:
        professions = result.professions[:SHOWN_ON_REQUEST]
        dispatcher.utter_message(response="utter_professions_answer", fields=fields,
                                 lines=profession_lines(professions, language))
        items = profession_items(professions)
    dispatcher.utter_message(json_message=payload(items, language))
    return True


class ActionSuggestMatches(Action):
    """2–3 of each, in the user's language, with the reason, plus cards for the widget."""

    def name(self) -> str:
        return "action_suggest_matches"

    @apologise_on_error
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        if not tracker.get_slot("interests"):
            dispatcher.utter_message(response="utter_interest_later")
            return []
        # A question about one kind gets its own answer once the user has seen the first
        # suggestions; before that, the full block answers it with everything.
        focus = focus_of(form_trigger_intent(tracker.events))
        if focus is not None and has_run(tracker.events, self.name()) and \
                answer_focus(dispatcher, tracker, focus):
            return []
        language = language_of(tracker)
        result, place = match_for(tracker)
        if not result.fields:
            dispatcher.utter_message(response="utter_ask_interests_again")
            return []
        national = place is None
        response = "utter_matches_national" if national else "utter_matches"
        summary = match_summary(result, language)
        if place is not None:
            summary["place"] = place.name
        said = bot_texts(tracker.events)
        before = len(dispatcher.messages)
        dispatcher.utter_message(response=response, **summary)
        if said and _is_repeat(dispatcher, before, domain, language, tracker, said):
            dispatcher.messages[before:] = []
            dispatcher.utter_message(response="utter_same_again")
            return []
        if (where := study_near(result, place, language)) is not None:
            dispatcher.utter_message(response=where[0], **where[1])
        if national:
            dispatcher.utter_message(response="utter_national_only")
        elif (far := far_away(result, place)) is not None:
            dispatcher.utter_message(response="utter_far_away", **far)
        dispatcher.utter_message(json_message=payload(match_items(result, place), language))
        dispatcher.utter_message(response="utter_ask_visit")
        return []


def _is_repeat(dispatcher: CollectingDispatcher, before: int, domain: dict[str, Any],
               language: str, tracker: Tracker, said: set[str]) -> bool:
    """Whether the block just queued is the one the user already got, word for word."""
    message = dispatcher.messages[before]
    text = render(domain, message["response"], language,
                  bool(tracker.get_slot("plain_language")), message)
    return text is not None and text in said


class ActionReadyProbe(Action):
    """Readiness, for the supervisor and /healthz: ready once the matcher has loaded.

    Not in the domain: no conversation runs it (bot/service_state.py sends the probe).
    """

    def name(self) -> str:
        return READY_ACTION

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(json_message={"ready": matcher_loaded()})
        return []


# Load the matcher when the action server's worker starts, not on a pupil's first message
# (~8 s). Only in Sanic's worker process: in the main process, loading torch fixes the
# multiprocessing start method, and Sanic then refuses to start its workers. In a thread, so
# the worker reports ready to Sanic at once (Sanic stops a worker silent for 30 s, which a
# load on two busy cores can take); a message that comes sooner waits on get_matcher's lock.
if os.environ.get("SANIC_WORKER_NAME"):
    threading.Thread(target=get_matcher, name="load-matcher", daemon=True).start()
