"""Slot validation and the forms' exits: places are gazetteer ids, a free answer counts as an
interest only when it names one, and a form that gets nothing twice goes on without it.

The decisions themselves live in `bot.dialogue`; here they become events.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from rasa_sdk import FormValidationAction, Tracker, ValidationAction
from rasa_sdk.events import ActionExecutionRejected, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.concerns import answer_concern, message_interests
from actions.safety import language_of
from bot.concerns import CONCERNS
from bot.dialogue import (
    ASIDE_INTENTS,
    MISSES_BEFORE_LETTING_GO,
    RE_ASKS_BEFORE_GOING_ON,
    SIGNUP_ASIDE_INTENTS,
    SKIP_PLACE_INTENTS,
    answered_since_user,
    form_trigger_intent,
    has_run,
    has_words,
    intent_of,
    is_question,
    next_misses,
    place_needed,
    sounds_undecided,
)
from bot.knowledge.queries import slot_place
from bot.language import state_message
from bot.matching import names_an_interest
from bot.matching.shared import wait_for_matcher
from bot.privacy import SKIPPED, clean_nickname
from bot.text import MAX_INTEREST_CHARS, without_places

REQUESTED = "requested_slot"
# Intents whose message may say what the user likes without a tagged span. `undecided` too:
# "he sits at the computer all day but has no idea what to choose" is not knowing what to
# choose, next to what he likes (the whole message counts only when it names an interest).
TELLS_INTEREST = frozenset({"tell_interest", "tell_location", "ask_programmes",
                            "ask_professions", "ask_companies", "undecided"})


def _place_id(value: Any) -> str | None:
    """A known place id (the gazetteer's entity value), else None."""
    place = slot_place(value[-1] if isinstance(value, list) and value else value)
    return place.id if place else None


def _interests(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [str(v).strip()[:MAX_INTEREST_CHARS] for v in values if v and str(v).strip()]


def free_interest(tracker: Tracker) -> list[str]:
    """The latest message without its places, as the user's interest, when the matcher finds
    something we know named in it ("haluun sahkohommiin, oon raumalta"); else nothing."""
    message = tracker.latest_message or {}
    said = without_places(message.get("text") or "", message.get("entities") or []).strip()
    named = bool(said) and names_an_interest(said, language_of(tracker))
    return [said[:MAX_INTEREST_CHARS]] if named else []


class ValidateSlotMappings(ValidationAction):
    """Every turn's slots: a place given in any turn is kept as its id; a change of language
    or plain language is reported to the widget, whose switches follow the bot."""

    def name(self) -> str:
        return "action_validate_slot_mappings"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        changed = set(tracker.slots_to_validate()) & {"language", "plain_language"}
        events = await super().run(dispatcher, tracker, domain)
        if changed:
            dispatcher.utter_message(json_message=state_message(
                language_of(tracker), bool(tracker.get_slot("plain_language"))))
        return events

    async def validate_location(self, value: Any, dispatcher: CollectingDispatcher,
                                tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        # An unknown value never replaces a place the user gave before.
        return {"location": _place_id(value) or tracker.slots.get("location")}


class MissCounting(FormValidationAction):
    """Counts answers that filled nothing the form asked for, so it can re-ask once with
    examples and then go on, instead of asking the same question forever."""

    asides: frozenset[str] = ASIDE_INTENTS

    @abstractmethod
    def name(self) -> str:
        """The validation action's name (abstract: this class is no action of its own)."""

    def _missed(self, tracker: Tracker, filled: bool, requested: str | None) -> tuple[int, bool]:
        misses = int(tracker.get_slot("form_misses") or 0)
        if tracker.active_loop.get("name") != self.form_name() or requested is None:
            return 0, False  # the form is starting: nothing was asked yet
        message = tracker.latest_message or {}
        return next_misses(misses, filled, intent_of(message), message.get("text") or "",
                           self.asides), True

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        await wait_for_matcher()  # the extraction asks the matcher (free_interest)
        requested = tracker.get_slot(REQUESTED)
        message = tracker.latest_message or {}
        if self._question_in_passing(tracker, requested, intent_of(message)):
            # Let the rules answer it (action_answer_aside), then the form runs again. Rasa
            # would go on with the form whenever any slot was filled by the message.
            return [ActionExecutionRejected(self.form_name())]
        events = await self.get_extraction_events(dispatcher, tracker, domain)
        tracker.add_slots(events)
        events = await self.get_validation_events(dispatcher, tracker, domain)
        tracker.add_slots(events)
        filled = any(e["name"] == requested and e["value"] not in (None, [], "") for e in events)
        intent = intent_of(message)
        if filled and intent in CONCERNS and not answered_since_user(tracker.events):
            # "Umeå. Men tänk om jag väljer fel?": the answer fills the slot, and the worry
            # is answered too, never dropped.
            answer_concern(dispatcher, tracker, intent, companies=False)
        misses, asked = self._missed(tracker, filled, requested)
        extra, give_up = self.after_miss(tracker, requested, misses, asked, filled)
        if extra or give_up:
            misses = 0  # the form went on without the slot, or let go: count anew
        if misses != (tracker.get_slot("form_misses") or 0):
            extra.append(SlotSet("form_misses", misses))
        tracker.add_slots(extra)
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker,
                                             domain)
        missing = next((s for s in required if tracker.slots.get(s) is None), None)
        return [*events, *extra, SlotSet(REQUESTED, None if give_up else missing)]

    def after_miss(self, tracker: Tracker, requested: str | None, misses: int, asked: bool,
                   filled: bool) -> tuple[list[EventType], bool]:
        """Events that go on without the slot, and whether the form lets go of the user."""
        return [], False

    def _question_in_passing(self, tracker: Tracker, requested: str | None,
                             intent: str | None) -> bool:
        """A question asked while the form waits, not answered yet in this turn, that does
        not answer what the form asked."""
        if tracker.active_loop.get("name") != self.form_name() or requested is None or \
                intent not in self.asides | {"goodbye"}:
            return False  # not waiting for an answer (starting now: the form answers it)
        if not has_words((tracker.latest_message or {}).get("text") or ""):
            return False  # "???" is no question: the form re-asks it with examples
        if requested and requested in tracker.slots_to_validate():
            return False
        if requested == "interests" and intent in CONCERNS and message_interests(tracker):
            return False  # "haluisin oppisopimuksella automekaanikoks": answered in validation
        return not answered_since_user(tracker.events)


class ValidateInterestForm(MissCounting):
    """Interests that name something; the place as an id, or skipped after two misses."""

    def name(self) -> str:
        return "validate_interest_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> list[str]:
        trigger, text = form_trigger_intent(tracker.events), ""
        if tracker.get_slot(REQUESTED) is None:  # starting now: this message started it
            trigger = intent_of(tracker.latest_message)
            text = (tracker.latest_message or {}).get("text") or ""
        skipped = bool(tracker.get_slot("location_skipped"))
        seen = has_run(tracker.events, "action_suggest_matches")
        question = bool(text) and is_question(text)
        return [s for s in domain_slots
                if s != "location" or place_needed(trigger, skipped, seen, question)]

    def after_miss(self, tracker: Tracker, requested: str | None, misses: int, asked: bool,
                   filled: bool) -> tuple[list[EventType], bool]:
        if not asked or filled:
            return [], False
        intent = intent_of(tracker.latest_message)
        text = (tracker.latest_message or {}).get("text") or ""
        if requested == "location" and (intent in SKIP_PLACE_INTENTS or sounds_undecided(text)
                                        or misses > RE_ASKS_BEFORE_GOING_ON):
            # "Vill inte säga", "vet inte", or two answers that were no place: go on without.
            tracker.slots["location_skipped"] = True
            return [SlotSet("location_skipped", True)], False
        return [], requested == "interests" and misses >= MISSES_BEFORE_LETTING_GO

    async def extract_interests(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> dict[str, Any]:
        """A message about what one likes counts even when the tagger found no span in it
        ("haluun sahkohommiin, oon raumalta"): the whole message, if it names an interest."""
        message = tracker.latest_message or {}
        text = (message.get("text") or "").strip()
        if tracker.get_slot("interests") or "interests" in tracker.slots_to_validate() or \
                not text or text.startswith("/"):
            return {}
        if intent_of(message) in CONCERNS:  # a worry that also says what the user likes
            return {"interests": message_interests(tracker) or None}
        if intent_of(message) not in TELLS_INTEREST:
            return {}
        return {"interests": interests} if (interests := free_interest(tracker)) else {}

    async def validate_interests(self, value: Any, dispatcher: CollectingDispatcher,
                                 tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        """A span the tagger marked is kept ("vindmøller"); a whole free answer only when it
        names something we know ("asdf" does not)."""
        interests = _interests(value)
        if not interests:
            return {"interests": None}
        text = ((tracker.latest_message or {}).get("text") or "").strip()
        tagged = any(e.get("entity") == "interest"
                     for e in (tracker.latest_message or {}).get("entities") or [])
        if tagged or interests != [text[:MAX_INTEREST_CHARS]]:
            return {"interests": interests}
        named = names_an_interest(text, language_of(tracker))
        return {"interests": interests if named else None}

    async def validate_location(self, value: Any, dispatcher: CollectingDispatcher,
                                tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return {"location": _place_id(value)}


class ValidateSignupForm(MissCounting):
    """A sign-up keeps at most a first name or nickname: never a full name, a number or a
    command word; a visit that cannot be found twice ends the sign-up kindly."""

    asides = SIGNUP_ASIDE_INTENTS

    def name(self) -> str:
        return "validate_signup_form"

    def after_miss(self, tracker: Tracker, requested: str | None, misses: int, asked: bool,
                   filled: bool) -> tuple[list[EventType], bool]:
        if not asked or filled or misses <= RE_ASKS_BEFORE_GOING_ON:
            return [], False
        if requested == "nickname":  # two answers that were no name: sign up without one
            tracker.slots["nickname"] = SKIPPED
            return [SlotSet("nickname", SKIPPED)], False
        return [], True

    async def validate_nickname(self, value: Any, dispatcher: CollectingDispatcher,
                                tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        # A refused name is asked again by action_ask_nickname, in other words.
        return {"nickname": clean_nickname(value if isinstance(value, str) else None)}
