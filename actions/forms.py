"""Slot validation: places resolved against the knowledge base, names kept to a first name."""

from __future__ import annotations

from typing import Any

from rasa_sdk import FormValidationAction, Tracker, ValidationAction
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.knowledge.queries import find_place
from bot.privacy import clean_nickname


def _resolve_location(value: Any, dispatcher: CollectingDispatcher) -> dict[str, Any]:
    """The knowledge base's name for the place, or None after telling the user we lack it."""
    text = value[-1] if isinstance(value, list) else value
    place = find_place(str(text)) if text else None
    if place is None:
        dispatcher.utter_message(response="utter_location_unknown", location=str(text)[:60])
        return {"location": None}
    return {"location": place.name}


def _interests(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [str(v).strip()[:200] for v in values if v and str(v).strip()]


class ValidateSlotMappings(ValidationAction):
    """Outside forms: "jag bor i goteborg" stores "Göteborg", an unknown place is refused."""

    def name(self) -> str:
        return "action_validate_slot_mappings"

    async def validate_location(self, value: Any, dispatcher: CollectingDispatcher,
                                tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        if tracker.active_loop.get("name"):
            return {"location": value}  # the form's own validator answers
        return _resolve_location(value, dispatcher)


class ValidateInterestForm(FormValidationAction):
    """Interests as a clean list; the place checked against the knowledge base."""

    def name(self) -> str:
        return "validate_interest_form"

    async def validate_interests(self, value: Any, dispatcher: CollectingDispatcher,
                                 tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        interests = _interests(value)
        return {"interests": interests or None}

    async def validate_location(self, value: Any, dispatcher: CollectingDispatcher,
                                tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return _resolve_location(value, dispatcher)


class ValidateSignupForm(FormValidationAction):
    """A sign-up keeps at most a first name or nickname: never a full name or a number."""

    def name(self) -> str:
        return "validate_signup_form"

    async def validate_nickname(self, value: Any, dispatcher: CollectingDispatcher,
                                tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        nickname = clean_nickname(value if isinstance(value, str) else None)
        if nickname is None:
            dispatcher.utter_message(response="utter_nickname_invalid")
        return {"nickname": nickname}
