"""`action_answer_aside`: a question asked while a form waits for an answer gets the same
answer it gets anywhere else (a handover has its own action); then the form asks again.
It also answers a request for plain language anywhere: asked twice, in other words."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.concerns import answer_concern
from actions.matches import answer_focus
from actions.safety import apologise_on_error
from actions.visits import show_visits
from bot.concerns import CONCERNS
from bot.dialogue import ASIDE_RESPONSES, focus_of, intent_of, plain_before


class ActionAnswerAside(Action):
    def name(self) -> str:
        return "action_answer_aside"

    @apologise_on_error
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        intent = intent_of(tracker.latest_message)
        focus = focus_of(intent)
        if intent == "ask_study_visit":
            show_visits(dispatcher, tracker)
        elif focus is not None:
            if not (tracker.get_slot("interests") and answer_focus(dispatcher, tracker, focus)):
                dispatcher.utter_message(response="utter_need_interests")
        elif intent in CONCERNS:
            answer_concern(dispatcher, tracker, intent, companies=False)
        elif intent == "ask_plain_language" and plain_before(tracker.events):
            dispatcher.utter_message(response="utter_plain_language_already")
        elif intent in ASIDE_RESPONSES:
            dispatcher.utter_message(response=ASIDE_RESPONSES[intent])
        return []
