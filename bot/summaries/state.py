"""Folding Rasa events into one conversation's summary, one event at a time.

The running state is saved with the summary, so new events extend it without a rescan.
Events are the dicts Rasa publishes to its event broker (`Event.as_dict()`), read from the SQL
event broker's table (bot/summaries/broker.py).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field

from bot.concerns import CONCERNS
from bot.gazetteer import load_gazetteer
from bot.privacy import school_id, scrub
from bot.settings import language_or_default

KINDS = ("programme", "profession", "company", "visit")
FALLBACK_UTTERS = {"utter_default", "utter_action_error"}
# A summary fits on one screen: a few quotes, each short, are enough to act on.
MAX_QUOTES = 3
QUOTE_CHARS = 160
MAX_SCHOOLS = 6


class Summary(BaseModel):
    """What a counsellor sees about one conversation.

    Suggestions, schools, sign-ups and fields are knowledge-base ids, named at read time in
    the counsellor's language (one stored summary serves sv, fi and da readers, and a renamed
    record shows its new name). The only free text is the pupil's own words, scrubbed and
    capped: the interests, the handover question and the questions the bot could not answer.
    Every field added after the first release has a default, so older stored rows still load.
    """

    conversation_id: str
    school: str | None = None
    language: str | None = None
    plain_language: bool = False
    started_at: float = 0.0
    ended_at: float = 0.0
    user_turns: int = 0
    fields: list[str] = Field(default_factory=list)
    place: str | None = None
    suggested: dict[str, list[str]] = Field(
        default_factory=lambda: {k: list[str]() for k in KINDS})
    signups: list[str] = Field(default_factory=list)
    handover: bool = False
    handover_question: str | None = None
    fallback_count: int = 0
    # The questions behind the choice the pupil raised (intent names: worry_choice, ask_pay,
    # ...), so the counsellor knows what to talk about; never the pupil's words.
    concerns: list[str] = Field(default_factory=list)
    # The pupil's interests in their own words (scrubbed, capped), for the counsellor to quote.
    interests: list[str] = Field(default_factory=list)
    # Schools (provider ids) listed on the programme cards the bot showed, nearest first.
    schools: list[str] = Field(default_factory=list)
    # What the pupil asked that the bot answered with a fallback (scrubbed, capped, first few).
    unanswered: list[str] = Field(default_factory=list)


class State(Summary):
    """The summary plus what the builder needs to carry between refreshes."""

    interest_texts: list[str] = Field(default_factory=list)
    interests_slot: list[str] = Field(default_factory=list)
    payload_fields: list[str] = Field(default_factory=list)
    matched_key: str = ""
    matched_fields: list[str] = Field(default_factory=list)
    visit_id_slot: str | None = None
    pending_signup: str | None = None
    pending_fallback: bool = False
    last_user_text: str = ""

    def summary(self) -> Summary:
        return Summary.model_validate(self.model_dump(include=set(Summary.model_fields)))


def _add(values: list[str], value: Any) -> None:
    if isinstance(value, str) and value and value not in values:
        values.append(value)


def quote(text: str | None) -> str:
    """The pupil's words as a counsellor may read them: identifiers masked, one line, short."""
    cleaned = " ".join(scrub(text).split())
    return cleaned if len(cleaned) <= QUOTE_CHARS else cleaned[:QUOTE_CHARS - 1].rstrip() + "…"


def _unanswered(state: State, text: str) -> None:
    """Remember a question the bot could not answer; button payloads ("/x") are no question."""
    said = quote(text)
    if said and not text.startswith("/") and len(state.unanswered) < MAX_QUOTES:
        _add(state.unanswered, said)


def _place_name(value: Any) -> str | None:
    """The place's name from the gazetteer, never the user's raw text ("plats: Jag")."""
    if not isinstance(value, str) or not value:
        return None
    gazetteer = load_gazetteer()
    town = gazetteer.town(value) or gazetteer.lookup(value)
    return town.name if town else None


def _slot(state: State, name: str | None, value: Any) -> None:
    if name == "language" and isinstance(value, str):
        state.language = value
    elif name == "plain_language":
        state.plain_language = bool(value)
    elif name == "school":
        state.school = school_id(value) or state.school
    elif name == "location":
        state.place = _place_name(value) or state.place
    elif name == "interests":
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                _add(state.interests_slot, item[:100])
    elif name == "visit_id":
        state.visit_id_slot = value if isinstance(value, str) else None


def _user(state: State, data: dict[str, Any]) -> None:
    state.user_turns += 1
    text = str(data.get("text") or "")
    intent = ((data.get("parse_data") or {}).get("intent") or {}).get("name")
    state.pending_fallback = intent == "nlu_fallback"
    if state.pending_fallback:
        state.fallback_count += 1
        _unanswered(state, text)
    if intent in CONCERNS:
        _add(state.concerns, intent)
    # Scrubbed before they enter the stored state: the app DB keeps no raw identifier, even in
    # the builder's working copy (masks do not change which fields the words match).
    if intent == "tell_interest" and text:
        state.interest_texts.append(scrub(text)[:300])
    state.last_user_text = scrub(text[:1000])
    if state.school is None:
        state.school = school_id((data.get("metadata") or {}).get("school"))


def _bot(state: State, data: dict[str, Any]) -> None:
    utter = (data.get("metadata") or {}).get("utter_action")
    if utter == "utter_default" and state.pending_fallback:
        state.pending_fallback = False  # the reply to an nlu_fallback: counted once
    elif utter in FALLBACK_UTTERS:
        state.fallback_count += 1
        _unanswered(state, state.last_user_text)
    if utter == "utter_signup_confirmed" and state.pending_signup:
        _add(state.signups, state.pending_signup)
        state.pending_signup = None
    custom = (data.get("data") or {}).get("custom")
    if not isinstance(custom, dict) or custom.get("type") != "suggestions":
        return
    for item in custom.get("items") or []:
        if not isinstance(item, dict) or item.get("kind") not in KINDS:
            continue
        _add(state.suggested.setdefault(item["kind"], []), item.get("id"))
        for school in item.get("providers") or []:
            if isinstance(school, dict) and len(state.schools) < MAX_SCHOOLS:
                _add(state.schools, school.get("id"))
        if item["kind"] != "visit":
            for field_id in item.get("fields") or []:
                _add(state.payload_fields, field_id)


def _action(state: State, name: str | None) -> None:
    if name == "action_request_handover":
        state.handover = True
        state.handover_question = scrub(state.last_user_text) or state.handover_question
    elif name == "action_request_visit":
        state.pending_signup = state.visit_id_slot


def apply(state: State, event: dict[str, Any]) -> None:
    """Fold one Rasa event (its dict: `event`, `timestamp`, `text`, `parse_data`, `name`,
    `value`, ...) into the state."""
    type_name = event.get("event")
    timestamp = event.get("timestamp")
    if isinstance(timestamp, int | float) and timestamp:
        state.started_at = min(state.started_at or timestamp, timestamp)
        state.ended_at = max(state.ended_at, timestamp)
    if type_name == "user":
        _user(state, event)
    elif type_name == "bot":
        _bot(state, event)
    elif type_name == "slot":
        _slot(state, event.get("name"), event.get("value"))
    elif type_name == "action":
        _action(state, event.get("name"))
    elif type_name == "restart":
        state.visit_id_slot = state.pending_signup = None


def finish(state: State) -> None:
    """Interests as field ids: matched from the pupil's own words (re-matched only when they
    changed), else the fields of what the bot suggested. The interests in the pupil's own
    words are re-quoted here too, so a state stored before they were summarised gains them."""
    state.interests = []
    for said in state.interest_texts:
        if len(state.interests) < MAX_QUOTES:
            _add(state.interests, quote(said))
    key = json.dumps([state.interest_texts, state.interests_slot, state.language])
    if key != state.matched_key:
        state.matched_key = key
        text = " ".join(state.interest_texts).strip()
        state.matched_fields = []
        if text or state.interests_slot:
            # Lexical only: the semantic index would load the model and torch into the gateway.
            from bot.matching.lexical import lexical_fields  # loads the knowledge base

            state.matched_fields = lexical_fields(text, state.interests_slot,
                                                  language_or_default(state.language))[:3]
    state.fields = state.matched_fields or state.payload_fields[:3]
