"""Study visits near the user, and the sign-up request for one of them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.safety import apologise_on_error, language_of
from bot import storage
from bot.knowledge.loader import load_knowledge
from bot.knowledge.queries import find_place, nearest_visits, visits_near
from bot.privacy import SKIPPED
from bot.suggestions import payload, visit_button, visit_item, visit_line

RADIUS_KM = 100
SHOWN = 3


def show_visits(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """Upcoming visits nearest to the user's place, or a question for the place."""
    language = language_of(tracker)
    place = find_place(tracker.get_slot("location") or "")
    if place is None:
        dispatcher.utter_message(response="utter_ask_location")
        return []
    today = dt.date.today()
    hits = visits_near(place, RADIUS_KM, today, limit=SHOWN)
    if hits:
        dispatcher.utter_message(response="utter_visits_nearby", place=place.name)
    else:
        hits = nearest_visits(place, today, limit=SHOWN)
        dispatcher.utter_message(response="utter_no_visits_nearby", place=place.name,
                                 radius=RADIUS_KM)
    dispatcher.utter_message(
        text="\n".join(visit_line(hit, language) for hit in hits),
        buttons=[visit_button(hit, language) for hit in hits],
    )
    dispatcher.utter_message(
        json_message=payload([visit_item(hit, language) for hit in hits], language)
    )
    return []


class ActionSuggestVisits(Action):
    def name(self) -> str:
        return "action_suggest_visits"

    @apologise_on_error
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        return show_visits(dispatcher, tracker)


class ActionAskVisitId(ActionSuggestVisits):
    """The sign-up form asks "which visit?" by showing the nearby visits as buttons."""

    def name(self) -> str:
        return "action_ask_visit_id"


class ActionRequestVisit(Action):
    """Stores the sign-up request (pseudonymous id, visit, first name at most) and confirms."""

    def name(self) -> str:
        return "action_request_visit"

    @apologise_on_error
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        language = language_of(tracker)
        visit = load_knowledge().visit(tracker.get_slot("visit_id") or "")
        reset = [SlotSet("visit_id", None), SlotSet("nickname", None)]
        if visit is None:
            show_visits(dispatcher, tracker)
            return reset
        nickname = tracker.get_slot("nickname")
        storage.add_signup(
            conversation_id=tracker.sender_id, visit_id=visit.id,
            nickname=None if nickname in (None, SKIPPED) else nickname,
            school=tracker.get_slot("school"), language=language,
        )
        dispatcher.utter_message(response="utter_signup_confirmed",
                                 visit=visit.title.get(language))
        return reset


class ActionRequestHandover(Action):
    """Queues the pupil's own question for a counsellor of their school; no live chat."""

    def name(self) -> str:
        return "action_request_handover"

    @apologise_on_error
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        question = (tracker.latest_message or {}).get("text") or ""
        storage.add_handover(
            conversation_id=tracker.sender_id, question=question[:1000],
            school=tracker.get_slot("school"), language=language_of(tracker),
        )
        dispatcher.utter_message(response="utter_handover_created")
        return []
