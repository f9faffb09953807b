"""Study visits near the user, and the sign-up request for one of them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.safety import apologise_on_error, language_of
from bot import storage
from bot.dialogue import action_before_user
from bot.knowledge.loader import load_knowledge
from bot.knowledge.queries import nearest_visits, slot_place, upcoming_visits, visits_near
from bot.privacy import SKIPPED
from bot.suggestions import country_for, payload, visit_button, visit_item, visit_line

RADIUS_KM = 100
SHOWN = 3


def show_visits(dispatcher: CollectingDispatcher, tracker: Tracker,
                again: bool = False) -> list[EventType]:
    """Upcoming visits nearest to the user's place; without a place, the first ones in the
    country of the user's language, and a word on how to get nearer ones."""
    language = language_of(tracker)
    place = slot_place(tracker.get_slot("location"))
    today = dt.date.today()
    if place is None:
        hits = upcoming_visits(country_for(None, language), today, limit=SHOWN)
        dispatcher.utter_message(response="utter_ask_which_visit" if again
                                 else "utter_visits_national")
    elif again:
        hits = nearest_visits(place, today, limit=SHOWN)
        dispatcher.utter_message(response="utter_ask_which_visit")
    elif hits := visits_near(place, RADIUS_KM, today, limit=SHOWN):
        dispatcher.utter_message(response="utter_visits_nearby", place=place.name)
    else:
        hits = nearest_visits(place, today, limit=SHOWN)
        dispatcher.utter_message(response="utter_no_visits_nearby", place=place.name,
                                 radius=RADIUS_KM)
    if not hits:
        return []
    dispatcher.utter_message(
        text="\n".join(visit_line(hit, language) for hit in hits),
        buttons=[visit_button(hit, language) for hit in hits],
    )
    dispatcher.utter_message(
        json_message=payload([visit_item(hit, language) for hit in hits], language)
    )
    return []


class ActionSuggestVisits(Action):
    """The nearest upcoming visits; asked again right after, "which one?" with the same
    buttons rather than the same list word for word."""

    def name(self) -> str:
        return "action_suggest_visits"

    @apologise_on_error
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        shown = action_before_user(tracker.events) == self.name()
        return show_visits(dispatcher, tracker, again=shown)


class ActionAskVisitId(Action):
    """The sign-up form asks "which visit?" by showing the nearby visits as buttons; asked
    again, it says so in other words instead of repeating the list's heading."""

    def name(self) -> str:
        return "action_ask_visit_id"

    @apologise_on_error
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        shown = action_before_user(tracker.events) == "action_suggest_visits"
        return show_visits(dispatcher, tracker,
                           again=shown or bool(tracker.get_slot("form_misses")))


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
            dispatcher.utter_message(response="utter_signup_later")
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
