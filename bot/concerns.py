"""Answers to the questions behind the choice: worries, pressure from home, pay, myths and
placements (issue 18).

The facts are data, per country, with their sources (knowledge/guidance.yml and
knowledge/pay.yml), so a counsellor corrects a rule or a figure without touching the dialogue.
The domain's responses (utter_worry_choice, ...) give the warm frame and take the facts as
`{facts}` or `{lines}`. Pure functions over the knowledge base: the actions only choose the
country and the professions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from bot.labels import label, labels
from bot.text import MAX_INTEREST_CHARS, fold, without_places

if TYPE_CHECKING:  # bot/dialogue.py, which Rasa's process imports, reads CONCERNS only
    from bot.knowledge.schema import KnowledgeBase, Pay


@dataclass(frozen=True)
class Concern:
    """The response that answers an intent and the knowledge-base topics it draws on."""

    response: str
    topics: tuple[str, ...]


CONCERNS: dict[str, Concern] = {
    "worry_choice": Concern("utter_worry_choice", ("second_chance",)),
    "worry_grades": Concern("utter_worry_grades", ("entry_requirements", "entry_routes")),
    "parent_pressure": Concern("utter_parent_pressure", ("higher_education",)),
    "myth_industry": Concern("utter_myth_industry", ("working_conditions",)),
    "myth_gender": Concern("utter_myth_gender", ("gender",)),
    "ask_placement": Concern("utter_placement", ("placement",)),
    "ask_apprenticeship": Concern("utter_apprenticeship", ("apprenticeship", "apprentice_pay")),
    "ask_pay": Concern("utter_pay", ("apprentice_pay",)),
}
# Worries are about the whole choice: a message that also says what the user likes goes on to
# suggestions, asking for the place when it is missing. The other questions ask no place.
WORRY_INTENTS = frozenset({"worry_choice", "worry_grades", "parent_pressure"})
# Intents a long message may get for its interest or place sentence while another sentence
# carries the real question ("Jag är rädd att välja fel. Jag gillar bilar."): the sentence
# classifier (bot/rasa_ext/concerns.py) may read such a message as the question behind it.
OVERRIDABLE_INTENTS = frozenset({"tell_interest", "tell_location", "undecided", "ask_programmes",
                                 "ask_professions", "ask_companies", "out_of_scope",
                                 "nlu_fallback"})
SENTENCE_CONFIDENCE = 0.6
# The sentence classifier's label for every intent that is no question behind the choice.
NOT_A_CONCERN = "other"
PAY_GENERAL = "utter_pay_general"
PAY_SHOWN = 3
# Facts per topic in one answer: enough to act on, short enough to read on a phone. Plain
# language gets the first (most important) fact of each topic only.
FACTS_PER_TOPIC = 2
FACTS_PER_TOPIC_PLAIN = 1
LOCALE = {"sv": "sv_SE", "fi": "fi_FI", "da": "da_DK"}


def concern_of_sentences(intent: str | None,
                         scored: list[tuple[str, float]]) -> tuple[str, float] | None:
    """The question behind a long message, from its sentences' (label, probability): the most
    confident concern of any sentence, when the message's own intent may be overridden."""
    if intent not in OVERRIDABLE_INTENTS or len(scored) < 2:
        return None
    concerns = [(label, p) for label, p in scored
                if label in CONCERNS and p >= SENTENCE_CONFIDENCE]
    return max(concerns, key=lambda lp: lp[1]) if concerns else None


def concern_overruled(intent: str | None, scored: list[tuple[str, float]], has_interest: bool,
                      has_location: bool) -> str | None:
    """The intent of a message DIET read as a question behind the choice although none of its
    sentences is one ("Jeg var elektriker i Polen." came out as pay; "Hej. Jag bor i Vännäs
    sedan två år." as a worry): what it tells, an interest or a place; None to keep DIET's."""
    if intent not in CONCERNS or not scored or not all(
            label == NOT_A_CONCERN and p >= SENTENCE_CONFIDENCE for label, p in scored):
        return None
    if has_interest:
        return "tell_interest"
    return "tell_location" if has_location else None


@lru_cache(maxsize=1)
def _subjects() -> frozenset[str]:
    return frozenset(fold(s) for words in labels()["school_subjects"].values() for s in words)


def _not_an_interest(word: str, subjects: frozenset[str]) -> bool:
    """A kind of school ("lukioon", "gymnasiet") or, in a worry about grades, a subject."""
    folded = fold(word).strip(".,!?")
    return folded in subjects or folded.startswith(tuple(labels()["school_words"]))


def named_interests(intent: str | None, text: str, entities: Iterable[Mapping[str, object]],
                    names: Callable[[str], bool]) -> list[str]:
    """What a question behind the choice says the user likes: the tagged interests, else the
    message without its places when `names` (the matcher) finds an interest in it
    ("onks outoo et mä tiiän jo et haluun sähköasentajaks"). Kinds of school ("pitää mennä
    lukioon") say where, not what; in a worry about grades the subjects are what the grades
    are in ("fick F i matte"): neither is an interest."""
    entities = list(entities)
    subjects = _subjects() if intent == "worry_grades" else frozenset()
    tagged = [str(e.get("value")) for e in entities
              if e.get("entity") == "interest" and e.get("value")
              and not all(_not_an_interest(w, subjects) for w in str(e.get("value")).split())]
    if tagged:
        return tagged
    said = " ".join(w for w in without_places(text, entities).split()
                    if not _not_an_interest(w, subjects))
    return [said[:MAX_INTEREST_CHARS]] if said and names(said) else []


def goes_on(intent: str | None, names_interest: bool, place_known: bool) -> bool:
    """Whether the answer is followed by suggestions for the interest the message named
    (the interest form; it asks for the place only when it is missing)."""
    if not names_interest or intent not in CONCERNS:
        return False
    return place_known or intent in WORRY_INTENTS


def fact_lines(kb: KnowledgeBase, country: str, topics: Iterable[str], language: str,
               plain: bool = False) -> str:
    """"• Komvux: ... https://..." for the first facts of each topic in the country, topic by
    topic in the order given (the data's order within a topic: most important first)."""
    limit = FACTS_PER_TOPIC_PLAIN if plain else FACTS_PER_TOPIC
    facts = [g for topic in topics
             for g in [g for g in kb.guidance if g.country == country and g.topic == topic][:limit]]
    return "\n".join(
        f"• {g.name}: {g.text.get(language)}" + (f" {g.link}" if g.link else "") for g in facts)


def money(amount: int, currency: str, language: str) -> str:
    """36 500 kr / 3 200 € / 35.000 kr. in the user's language (Babel's CLDR formats)."""
    from babel.numbers import format_currency  # not installed in Rasa's environment

    return format_currency(amount, currency, locale=LOCALE.get(language, "sv_SE"),
                           format="#,##0\xa0¤", currency_digits=False)


def pay_line(pay: Pay, title: str, language: str) -> str:
    """One profession's pay: the typical figure, the range as a range, the year and source."""
    words = labels()["pay"]
    text = words["typical"][language].format(
        title=title, amount=money(pay.typical, pay.currency, language),
        measure=words[pay.measure][language], year=pay.year)
    if pay.low is not None and pay.high is not None and pay.range is not None:
        text += words[pay.range][language].format(
            low=money(pay.low, pay.currency, language),
            high=money(pay.high, pay.currency, language))
    return f"• {text} ({words['source'][language]}: {pay.source_name})"


def pay_for(kb: KnowledgeBase, profession_id: str, country: str) -> Pay | None:
    return next((p for p in kb.pay if p.profession == profession_id and p.country == country),
                None)


def pay_answer(kb: KnowledgeBase, profession_ids: Iterable[str], country: str,
               language: str, plain: bool = False) -> tuple[str, dict[str, str]]:
    """The pay response and its values: official figures for the first professions that have
    one in the country; a profession without one is named as a gap, never given a guess."""
    apprentice = fact_lines(kb, country, ("apprentice_pay",), language, plain)
    lines: list[str] = []
    for profession_id in dict.fromkeys(profession_ids):
        profession = kb.profession(profession_id)
        if profession is None:
            continue
        title = profession.title.get(language)
        pay = pay_for(kb, profession_id, country)
        if pay is not None:
            lines.append(pay_line(pay, title, language))
        elif not lines:  # the job the user asked about has no figure: say so
            lines.append(f"• {labels()['pay']['missing'][language].format(title=title)}")
        if sum(line.startswith("• ") for line in lines) >= PAY_SHOWN:
            break
    if not lines:
        return PAY_GENERAL, {"facts": apprentice}
    return "utter_pay", {"lines": "\n".join(lines), "facts": apprentice}


def concern_answer(kb: KnowledgeBase, intent: str, country: str, language: str,
                   plain: bool = False) -> tuple[str, dict[str, str]]:
    """The response for a question behind the choice (not pay) and its `{facts}`."""
    concern = CONCERNS[intent]
    return concern.response, {"facts": fact_lines(kb, country, concern.topics, language, plain)}


def country_name(country: str, language: str) -> str:
    return label(f"country_{country}", language)
