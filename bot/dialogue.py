"""Dialogue decisions that the actions share: what a turn filled, what to ask next, what the
user's question was about. Pure functions over Rasa's event dicts, so they test without Rasa.

Why here and not in `actions/`: a form that never traps is a rule about the conversation
("re-ask once with examples, then go on without the slot"), and rules belong in the library.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any, Literal

from bot.concerns import CONCERNS
from bot.gazetteer import Span
from bot.labels import labels
from bot.text import fold, has_known_word

Focus = Literal["companies", "programmes", "professions"]

INTEREST_FORM = "interest_form"
SIGNUP_FORM = "signup_form"
# Questions the forms answer in passing (data/rules.yml, action_answer_aside): not a miss.
ASIDE_RESPONSES: dict[str, str] = {
    "help": "utter_help",
    "bot_challenge": "utter_iamabot",
    "ask_requirements": "utter_requirements",
    "ask_adult_education": "utter_adult_education",
    "ask_plain_language": "utter_plain_language_on",
    "out_of_scope": "utter_out_of_scope",
    "thank": "utter_you_are_welcome",
    "greet": "utter_greet",
}
FOCUS_OF_INTENT: dict[str, Focus] = {
    "ask_companies": "companies",
    "ask_programmes": "programmes",
    "ask_professions": "professions",
}
ASIDE_INTENTS = frozenset({*ASIDE_RESPONSES, *FOCUS_OF_INTENT, *CONCERNS, "ask_counsellor",
                           "ask_study_visit"})
# In the sign-up form a name may be read as a greeting or as out of scope ("Olena"): those
# are not questions there (data/rules.yml).
SIGNUP_ASIDE_INTENTS = ASIDE_INTENTS - {"greet", "thank", "out_of_scope"}
# Answers that mean "I won't / can't say" when the form asks for the place.
SKIP_PLACE_INTENTS = frozenset({"deny"})
RE_ASKS_BEFORE_GOING_ON = 1  # the first miss is re-asked with examples
MISSES_BEFORE_LETTING_GO = 3  # interests: re-ask, then the undecided prompt, then let go


def intent_of(message: Mapping[str, Any] | None) -> str | None:
    """The intent name of a parsed user message (tracker.latest_message or a user event)."""
    if not message:
        return None
    return ((message.get("intent") or message.get("parse_data", {}).get("intent")) or {}).get(
        "name")


def form_trigger_intent(events: Iterable[Mapping[str, Any]],
                        form: str = INTEREST_FORM) -> str | None:
    """The intent of the user message that last started `form`: the question the form's
    answer should be about ("vilka företag finns här?" -> companies). A question answered
    in passing, after which the form goes on, does not start it again."""
    last_user: Mapping[str, Any] | None = None
    trigger: str | None = None
    active = False
    for event in events:
        if event.get("event") == "user":
            last_user = event
        elif event.get("event") == "active_loop":
            starts = event.get("name") == form and not active
            active = event.get("name") == form
            if starts:
                trigger = intent_of(last_user)
    return trigger


def focus_of(intent: str | None) -> Focus | None:
    return FOCUS_OF_INTENT.get(intent or "")


def place_needed(trigger: str | None, location_skipped: bool, seen: bool = False,
                 question: bool = False) -> bool:
    """A question about jobs ("hvad kan man tjene som elektriker?") is answered without
    asking where the user lives: jobs are the same everywhere (programmes and companies are
    local). "jeg vil være elektriker" is no such question: the place is asked for."""
    jobs = focus_of(trigger) == "professions" and (seen or question)
    return not location_skipped and not jobs


def is_question(text: str) -> bool:
    """A question mark, or a first word that asks ("vad", "mitä", "hvad")."""
    words = fold(text).split()
    return text.rstrip().endswith("?") or bool(words) and words[0] in QUESTION_WORDS


QUESTION_WORDS = frozenset({
    "vad", "vilka", "vilken", "hur", "var", "vem", "varfor", "mita", "mika", "mitka", "miten",
    "kuinka", "paljonko", "missa", "onko", "voiko", "hvad", "hvilke", "hvilken", "hvordan",
    "hvor", "hvem", "hvorfor", "kan", "kommer",
})


def next_misses(misses: float, filled: bool, intent: str | None, text: str = "",
                asides: frozenset[str] = ASIDE_INTENTS) -> int:
    """Misses in a row after this turn: reset by an answer, kept by a question in passing
    (out of scope is no question in the middle of a form: "jkjkjk", "xd lol")."""
    if filled:
        return 0
    if not has_words(text) or not has_known_word(text):
        # "???", "ghjghj": nothing to answer, whatever the classifier says
        return int(misses) + 1
    if intent == "undecided" or sounds_undecided(text):
        return max(int(misses), RE_ASKS_BEFORE_GOING_ON + 1)
    if intent in asides and intent != "out_of_scope":
        return int(misses)
    return int(misses) + 1


def has_words(text: str) -> bool:
    """Whether a message has any letters: "???" and "!!!" have none."""
    return bool(fold(text).strip("0123456789 "))


def sounds_undecided(text: str) -> bool:
    """"bor i Vejle men ved ikke rigtig hvad jeg vil": the intent may be the place, but the
    user said they do not know what they like."""
    folded = " " + fold(text) + " "
    return any(phrase in folded for phrase in _undecided_phrases())


@lru_cache(maxsize=1)
def _undecided_phrases() -> tuple[str, ...]:
    return tuple(f" {fold(p)} " for phrases in labels()["undecided"].values() for p in phrases)


def interest_prompt(misses: float, intent: str | None, text: str = "") -> str:
    """The question for interests: first ask, re-ask with examples, then activities."""
    if intent == "undecided" or misses > RE_ASKS_BEFORE_GOING_ON or sounds_undecided(text):
        return "utter_undecided"
    return "utter_ask_interests_again" if misses >= 1 else "utter_ask_interests"


def looks_like_a_name(text: str) -> bool:
    """One or two words of letters: an answer to "where do you live?" we did not know."""
    words = text.strip().strip(".!?").split()
    return 0 < len(words) <= 2 and all(w.replace("-", "").isalpha() for w in words)


def _no_place(_: str) -> tuple[str, str] | None:
    return None


def location_prompt(misses: float, text: str,
                    close_place: Callable[[str], tuple[str, str] | None] = _no_place,
                    ) -> tuple[str, dict[str, str]]:
    """The question for the place: first ask, then a re-ask naming what we did not know; when
    `close_place` finds a known place close to it ("skelleftå": its name and id), the re-ask
    offers it as a button (the user taps it: a word is never taken for a place on a guess).
    The finder is passed in: this module runs inside Rasa too, without the knowledge base."""
    if misses < 1:
        return "utter_ask_location", {}
    if looks_like_a_name(text):
        said = text.strip().strip(".!?")[:60]
        close = close_place(said)
        if close is not None:
            return "utter_location_did_you_mean", {"location": said, "place": close[0],
                                                    "place_id": close[1]}
        return "utter_location_unknown", {"location": said}
    return "utter_ask_location_again", {}


def bot_texts(events: Iterable[Mapping[str, Any]]) -> set[str]:
    """Everything the bot has said, to avoid saying the same block twice."""
    return {event["text"] for event in events if event.get("event") == "bot" and event.get("text")}


def has_run(events: Iterable[Mapping[str, Any]], action: str) -> bool:
    """Whether `action` ran earlier in the conversation ("the user has seen suggestions")."""
    return any(e.get("event") == "action" and e.get("name") == action for e in events)


def action_before_user(events: Iterable[Mapping[str, Any]]) -> str | None:
    """The last action the bot ran before the user's latest message (not action_listen)."""
    last: str | None = None
    before: str | None = None
    for event in events:
        if event.get("event") == "action" and event.get("name") not in (
                "action_listen", "action_extract_slots", None):
            last = event["name"]
        elif event.get("event") == "user":
            before = last
    return before


ANSWERING_ACTIONS = frozenset({"action_answer_aside", "action_request_handover",
                               "action_answer_concern"})


def answered_since_user(events: Iterable[Mapping[str, Any]]) -> bool:
    """Whether the question of the user's latest message was already answered in passing
    (action_answer_aside, or the handover's own action)."""
    answered = False
    for event in events:
        if event.get("event") == "user":
            answered = False
        elif event.get("event") == "action" and event.get("name") in ANSWERING_ACTIONS:
            answered = True
    return answered


def plain_before(events: Iterable[Mapping[str, Any]]) -> bool:
    """Whether plain language was already on before the user's latest message."""
    value = before = False
    for event in events:
        if event.get("event") == "user":
            before = value
        elif event.get("event") == "slot" and event.get("name") == "plain_language":
            value = bool(event.get("value"))
    return before


# --- reading the intent with the places in mind (bot/rasa_ext/gazetteer.py) --------------
# Intents the classifier gives to a short place answer it could not read ("och i Göteborg
# då?" came out as goodbye, "i thisted" as greet): with a confirmed place they are a place.
PLACE_ANSWER_INTENTS = frozenset({"nlu_fallback", "out_of_scope", "goodbye", "thank", "affirm",
                                  "greet", "deny"})
SHORT_ANSWER_WORDS = 12
# Farewells that never greet, so they mean goodbye at the start of a message too.
ONLY_FAREWELLS = ("hejda", "hej da", "adjo", "farvel", "nakemiin")


@lru_cache(maxsize=1)
def _farewells() -> tuple[list[str], ...]:
    """The folded words of every farewell in bot/labels.yml."""
    folded = (fold(f) for words in labels()["farewells"].values() for f in words)
    return tuple(f.split() for f in folded if f)


def farewell_at_end(text: str) -> bool:
    """Whether the message ends with a farewell ("gider ikke mere, vi ses") or starts with one
    that is never a greeting ("farvel, vi gider ikke mere nu")."""
    words = fold(text).split()
    if len(words) < 2:
        return False
    if any(words[:len(f.split())] == f.split() for f in ONLY_FAREWELLS):
        return True
    return any(words[-len(f):] == f for f in _farewells())


# "en tiiä yhtään mitä haluun tehä" came out as help: words of not knowing what one likes win.
UNDECIDED_REPAIRS = frozenset({"help", "nlu_fallback", "out_of_scope", "deny"})


def repaired_intent(intent: str | None, text: str, spans: list[Span],
                    has_interest: bool) -> str | None:
    """The intent to use instead of the classifier's, or None to keep it."""
    if farewell_at_end(text) and not has_interest and intent != "goodbye" and \
            not any(s.entity == "location" for s in spans):
        return "goodbye"
    if intent in PLACE_ANSWER_INTENTS and any(s.entity == "location" for s in spans):
        short = len(fold(text).split()) <= SHORT_ANSWER_WORDS
        return "tell_location" if short or intent == "nlu_fallback" else None
    if intent in UNDECIDED_REPAIRS and sounds_undecided(text):
        return "undecided"
    if intent == "nlu_fallback" and has_interest:  # "Jeg var elektriker i Polen."
        return "tell_interest"
    return None
