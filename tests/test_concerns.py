"""The questions behind the choice (issue 18): worries, pressure, pay, myths and placements get
facts from the knowledge base for the user's country, on real trackers with CollectingDispatcher.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
import yaml
from pydantic import ValidationError
from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecutionRejected, FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions.aside import ActionAnswerAside
from actions.concerns import ActionAnswerAdultEducation, ActionAnswerConcern
from actions.forms import ValidateInterestForm
from bot.concerns import (
    CONCERNS,
    FACTS_PER_TOPIC,
    PAY_GENERAL,
    concern_of_sentences,
    concern_overruled,
    goes_on,
    money,
    named_interests,
    pay_answer,
    pay_line,
)
from bot.knowledge.loader import load_knowledge
from bot.knowledge.schema import TOPICS, KnowledgeBase, Pay
from bot.labels import LANGUAGES
from bot.responses import render
from bot.settings import ROOT
from bot.summaries.state import State, apply
from bot.summaries.text import readable
from bot.text import fold, sentences

DOMAIN: dict[str, Any] = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
COUNTRIES = ("SE", "FI", "DK")


# --- the data -------------------------------------------------------------------------------

def test_every_country_has_a_fact_for_every_topic() -> None:
    kb = load_knowledge()
    have = {(g.country, g.topic) for g in kb.guidance}
    missing = [(c, t) for c in COUNTRIES for t in TOPICS if (c, t) not in have]
    assert not missing, f"no guidance for {missing}"


def test_every_fact_and_figure_has_a_public_source() -> None:
    kb = load_knowledge()
    for record in [*kb.guidance, *kb.pay]:
        assert re.match(r"https?://", record.source), f"{record.id}: source is no URL"
    for pay in kb.pay:
        assert pay.source_name and 2015 <= pay.year <= 2026, pay.id


def test_some_official_pay_figures_in_each_country() -> None:
    kb = load_knowledge()
    for country in COUNTRIES:
        assert any(p.country == country for p in kb.pay), f"no pay figures for {country}"


# --- the answers, from the knowledge base -----------------------------------------------------

def _kb_with_pay(*pays: Pay) -> KnowledgeBase:
    real = load_knowledge()
    return KnowledgeBase(fields=real.fields, programmes=[], professions=real.professions,
                         places=[], companies=[], visits=[], synonyms=[], pay=list(pays),
                         guidance=real.guidance)


def _pay(profession: str, country: str = "SE", **extra: Any) -> Pay:
    values = {"id": f"{profession}_{country.lower()}", "profession": profession,
              "country": country, "occupation": "SSYK 7411", "measure": "median",
              "typical": 36500, "year": 2024, "source_name": "SCB lönestrukturstatistik",
              "source": "https://www.scb.se/"} | extra
    return Pay.model_validate(values)


def test_a_pay_line_gives_the_range_as_a_range_with_year_and_source() -> None:
    pay = _pay("electrician", low=30500, high=43000, range="p10_p90")
    line = pay_line(pay, "Elektriker", "sv")
    assert "Elektriker" in line and "36\xa0500\xa0kr" in line
    assert "30\xa0500\xa0kr" in line and "43\xa0000\xa0kr" in line
    assert "2024" in line and "SCB lönestrukturstatistik" in line


def test_money_is_written_the_way_each_language_writes_it() -> None:
    assert money(36500, "SEK", "sv") == "36\xa0500\xa0kr"
    assert money(3200, "EUR", "fi") == "3\xa0200\xa0€"
    assert money(35000, "DKK", "da") == "35.000\xa0kr."


def test_a_job_without_an_official_figure_is_named_as_a_gap_never_guessed() -> None:
    kb = _kb_with_pay(_pay("welder", "SE"))
    response, values = pay_answer(kb, ["electrician", "welder"], "SE", "sv")
    assert response == "utter_pay"
    first, second = values["lines"].splitlines()
    assert first.startswith("• Elektriker:") and not re.search(r"\d", first)
    assert second.startswith("• Svetsare:") and "36\xa0500" in second


def test_figures_of_another_country_are_never_shown() -> None:
    kb = _kb_with_pay(_pay("electrician", "DK", typical=40000))
    response, values = pay_answer(kb, ["electrician"], "SE", "sv")
    assert response == "utter_pay" and "40" not in values["lines"]


def test_pay_without_a_job_asks_which_job() -> None:
    response, _ = pay_answer(_kb_with_pay(), [], "FI", "fi")
    assert response == PAY_GENERAL


def test_at_most_three_jobs_with_figures() -> None:
    kb = _kb_with_pay(*(_pay(p) for p in ("electrician", "welder", "painter", "plumber")))
    _, values = pay_answer(kb, ["electrician", "welder", "painter", "plumber"], "SE", "sv")
    assert len(values["lines"].splitlines()) == 3


@pytest.mark.parametrize("values", [
    {"low": 30000},                                   # low without high and range
    {"low": 30000, "high": 40000},                    # no range kind
    {"low": 37000, "high": 40000, "range": "p10_p90"},  # typical below the range
])
def test_a_pay_record_with_a_broken_range_is_refused(values: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        _pay("electrician", **values)


@pytest.mark.parametrize("intent,interest,place,expected", [
    ("worry_choice", True, False, True),       # asks for the place, then suggests
    ("worry_grades", True, True, True),
    ("ask_pay", True, False, False),           # pay asks no place
    ("ask_pay", True, True, True),
    ("myth_gender", True, False, False),
    ("worry_choice", False, True, False),      # nothing to suggest for
    ("tell_interest", True, True, False),      # not a question behind the choice
])
def test_which_answers_go_on_to_suggestions(intent: str, interest: bool, place: bool,
                                            expected: bool) -> None:
    assert goes_on(intent, interest, place) is expected


# --- the actions on real trackers -----------------------------------------------------------

def _tracker(text: str, intent: str, slots: dict[str, Any] | None = None,
             entities: list[dict[str, Any]] | None = None, form: str | None = None) -> Tracker:
    parse = {"text": text, "intent": {"name": intent, "confidence": 0.9},
             "entities": entities or []}
    events = [{"event": "user", "text": text, "parse_data": parse}]
    base = {"language": "sv", "plain_language": False, "form_misses": 0,
            "location_skipped": False, **(slots or {})}
    return Tracker("pupil-18", base, parse | {"metadata": {}}, events, False, None,
                   {"name": form} if form else {}, "action_listen")


def _run(action: Any, tracker: Tracker) -> tuple[list[dict[str, Any]], CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    return asyncio.run(action.run(dispatcher, tracker, DOMAIN)), dispatcher


def _text(message: dict[str, Any], language: str = "sv", plain: bool = False) -> str:
    text = render(DOMAIN, message["response"], language, plain, message)
    assert text is not None
    return text


@pytest.mark.parametrize("intent", sorted(set(CONCERNS) - {"ask_pay"}))
@pytest.mark.parametrize("language", LANGUAGES)
def test_each_question_gets_its_answer_with_facts_in_the_users_language(
        intent: str, language: str) -> None:
    events, dispatcher = _run(ActionAnswerConcern(), _tracker(
        "…", intent, {"language": language}))
    assert events == []
    message = dispatcher.messages[0]
    assert message["response"] == CONCERNS[intent].response
    assert message["facts"].startswith("• ")
    assert "{" not in _text(message, language)


def test_a_swedish_speaker_in_finland_gets_the_finnish_facts_in_swedish() -> None:
    kb = load_knowledge()
    _, dispatcher = _run(ActionAnswerConcern(), _tracker(
        "tänk om jag väljer fel", "worry_choice", {"location": "vaasa"}))
    message = dispatcher.messages[0]
    finnish = [g for g in kb.guidance if g.country == "FI" and g.topic == "second_chance"]
    assert message["country"] == "Finland"
    assert finnish and all(g.text.sv in message["facts"] for g in finnish[:FACTS_PER_TOPIC])
    swedish = [g for g in kb.guidance if g.country == "SE"]
    assert not any(g.text.sv in message["facts"] for g in swedish)


def test_plain_language_gets_the_first_fact_of_each_topic_only() -> None:
    _, full = _run(ActionAnswerConcern(), _tracker("…", "worry_grades"))
    _, plain = _run(ActionAnswerConcern(), _tracker("…", "worry_grades",
                                                    {"plain_language": True}))
    topics = CONCERNS["worry_grades"].topics
    assert len(plain.messages[0]["facts"].splitlines()) == len(topics)
    assert len(full.messages[0]["facts"].splitlines()) > len(topics)
    assert _text(plain.messages[0], "sv", plain=True).startswith("Det finns alltid en väg")


def test_a_worry_that_names_an_interest_goes_on_to_the_interest_form() -> None:
    events, dispatcher = _run(ActionAnswerConcern(), _tracker(
        "jag är rädd att välja fel. jag gillar bilar", "worry_choice", {"interests": ["bilar"]},
        [{"entity": "interest", "value": "bilar", "start": 31, "end": 36}]))
    assert dispatcher.messages[0]["response"] == "utter_worry_choice"
    assert events == [{"event": "followup", "name": "interest_form", "timestamp": None}]


def test_a_myth_with_an_interest_but_no_place_asks_nothing_more() -> None:
    events, dispatcher = _run(ActionAnswerConcern(), _tracker(
        "kan tjejer bli bilmekaniker?", "myth_gender", {"interests": ["bilmekaniker"]},
        [{"entity": "interest", "value": "bilmekaniker", "start": 15, "end": 27}]))
    assert dispatcher.messages[0]["response"] == "utter_myth_gender"
    assert events == []


def test_a_worry_in_the_middle_of_the_form_is_a_question_in_passing() -> None:
    """The form waits for the place; "tänk om jag väljer fel?" is answered by the rules
    (action_answer_aside), not counted as a wrong answer."""
    events, _ = _run(ValidateInterestForm(), _tracker(
        "men tänk om jag väljer fel?", "worry_choice",
        {"interests": ["bilar"], "requested_slot": "location"}, form="interest_form"))
    assert events == [ActionExecutionRejected("interest_form")]
    _, dispatcher = _run(ActionAnswerAside(), _tracker(
        "men tänk om jag väljer fel?", "worry_choice",
        {"interests": ["bilar"], "requested_slot": "location"}, form="interest_form"))
    assert [m["response"] for m in dispatcher.messages] == ["utter_worry_choice"]


def test_a_place_answer_that_carries_a_worry_fills_the_place_and_answers_the_worry() -> None:
    tracker = _tracker("Umeå. Men tänk om jag väljer fel?", "worry_choice",
                       {"interests": ["bilar"], "requested_slot": "location"},
                       [{"entity": "location", "value": "umea", "start": 0, "end": 4}],
                       form="interest_form")
    tracker.slots["location"] = "umea"
    tracker.events.append({"event": "slot", "name": "location", "value": "umea"})
    events, dispatcher = _run(ValidateInterestForm(), tracker)
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots["location"] == "umea" and slots["requested_slot"] is None
    assert [m["response"] for m in dispatcher.messages] == ["utter_worry_choice"]


def test_the_readme_lists_every_missing_pay_figure() -> None:
    """knowledge/README.md names, per country, every profession without a figure: the gap list
    the issue asks for, kept honest when a figure is added or a profession is."""
    kb = load_knowledge()
    readme = (ROOT / "knowledge" / "README.md").read_text(encoding="utf-8")
    for country in COUNTRIES:
        line = next(li for li in readme.splitlines() if f"({country})**: figures for" in li)
        listed = set(re.findall(r"`([a-z_]+)`", line.split("Missing:", 1)[1]))
        have = {p.profession for p in kb.pay if p.country == country}
        missing = {p.id for p in kb.professions} - have
        assert listed == missing, f"{country}: README lists {listed ^ missing} wrongly"
        assert f"figures for {len(have)} of {len(kb.professions)}" in line


# --- long messages: the question behind them, and what they say the user likes --------------

def test_a_message_is_split_into_its_sentences() -> None:
    assert sentences("Jag är rädd att välja fel. Jag gillar bilar!! Bor i Umeå") == [
        "Jag är rädd att välja fel.", "Jag gillar bilar!!", "Bor i Umeå"]
    assert sentences("hej?? 😩 ...") == ["hej??"]


@pytest.mark.parametrize("intent,scored,expected", [
    # an interest sentence and a worry sentence: the worry is the message's question
    ("tell_interest", [("worry_choice", 0.97), ("other", 0.9)], ("worry_choice", 0.97)),
    ("undecided", [("other", 0.8), ("worry_grades", 0.7)], ("worry_grades", 0.7)),
    # not sure enough, one sentence only, or the intent is already a question of its own
    ("tell_interest", [("worry_choice", 0.45), ("other", 0.9)], None),
    ("tell_interest", [("worry_choice", 0.99)], None),
    ("ask_counsellor", [("worry_choice", 0.99), ("other", 0.9)], None),
    ("tell_interest", [("other", 0.99), ("other", 0.9)], None),
])
def test_a_long_message_is_read_for_the_question_behind_it(
        intent: str, scored: list[tuple[str, float]], expected: Any) -> None:
    assert concern_of_sentences(intent, scored) == expected


def _names(text: str) -> bool:
    return "sahkoasentaja" in fold(text)


def test_a_worry_names_an_interest_by_its_tag_or_by_the_matcher() -> None:
    tagged = [{"entity": "interest", "value": "bilar"}, {"entity": "location", "value": "umea",
                                                          "start": 31, "end": 35}]
    assert named_interests("worry_choice", "rädd att välja fel, gillar bilar, umeå", tagged,
                           _names) == ["bilar"]
    text = "onks outoo et mä tiiän jo et haluun sähköasentajaks"
    assert named_interests("worry_choice", text, [], _names) == [text]
    assert named_interests("worry_choice", "tänk om jag väljer fel", [], _names) == []


def test_in_a_worry_about_grades_a_school_subject_is_no_interest() -> None:
    subject = [{"entity": "interest", "value": "matte"}]
    assert named_interests("worry_grades", "fick F i matte igen", subject, _names) == []
    both = [*subject, {"entity": "interest", "value": "meka med bilar"}]
    assert named_interests("worry_grades", "F i matte. gillar att meka med bilar", both,
                           _names) == ["meka med bilar"]
    # outside a worry about grades, maths is an interest like any other
    assert named_interests("worry_choice", "jag gillar matte", subject, _names) == ["matte"]


def test_a_question_that_names_an_interest_while_the_form_asks_for_one_answers_both() -> None:
    """The form asks what the user likes; "kan tjejer bli elektriker?" says it and asks
    something: the interest is taken and the question answered in the same turn."""
    text = "kan tjejer bli elektriker?"
    tracker = _tracker(text, "myth_gender", {"requested_slot": "interests"},
                       [{"entity": "interest", "value": "elektriker", "start": 15, "end": 25}],
                       form="interest_form")
    tracker.slots["interests"] = ["elektriker"]
    tracker.events.append({"event": "slot", "name": "interests", "value": ["elektriker"]})
    events, dispatcher = _run(ValidateInterestForm(), tracker)
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots["interests"] == ["elektriker"] and slots["requested_slot"] == "location"
    assert [m["response"] for m in dispatcher.messages] == ["utter_myth_gender"]


@pytest.mark.parametrize("intent,scored,interest,place,expected", [
    ("ask_pay", [("other", 0.78)], True, False, "tell_interest"),  # "Jeg var elektriker i Polen."
    ("worry_choice", [("other", 1.0), ("other", 0.64)], False, True, "tell_location"),
    ("ask_pay", [("other", 0.78)], False, False, None),                 # nothing else to go on
    ("ask_pay", [("other", 0.9), ("ask_pay", 0.8)], True, False, None),  # a real pay question
    ("ask_pay", [("other", 0.5)], True, False, None),                   # not sure enough
    ("tell_interest", [("other", 0.99)], True, False, None),            # not a concern anyway
])
def test_a_message_with_no_question_in_any_sentence_tells_what_it_says(
        intent: str, scored: list[tuple[str, float]], interest: bool, place: bool,
        expected: str | None) -> None:
    assert concern_overruled(intent, scored, interest, place) == expected


def test_the_counsellor_summary_names_the_worries_raised_never_the_words() -> None:
    state = State(conversation_id="c-18")
    for text, intent in [("tänk om jag väljer fel, jag heter Lisa Berg", "worry_choice"),
                         ("vad tjänar en svetsare", "ask_pay"),
                         ("tänk om jag väljer fel igen", "worry_choice")]:
        apply(state, {"event": "user", "timestamp": 1_764_500_000.0, "text": text,
                      "parse_data": {"intent": {"name": intent}}})
    summary = state.summary()
    assert summary.concerns == ["worry_choice", "ask_pay"]
    text = readable(summary, "sv")
    assert "Eleven tog upp: oro för att välja fel och lön." in text
    assert "Lisa" not in summary.model_dump_json()


# --- adult education: the answer, then suggestions when the learner says what to learn -------

def test_adult_learner_who_names_a_trade_goes_on_to_suggestions() -> None:
    text = "Jag var elektriker i Syrien. Var kan jag läsa el i Sverige? Jag bor i Umeå."
    entities = [{"entity": "interest", "value": "elektriker"},
                {"entity": "location", "value": "umea"}]
    events, dispatcher = _run(ActionAnswerAdultEducation(),
                              _tracker(text, "ask_adult_education", {"location": "umea"},
                                       entities))
    assert [m["response"] for m in dispatcher.messages] == ["utter_adult_education"]
    assert events == [FollowupAction("interest_form")]


def test_adult_education_question_alone_is_answered_and_stops() -> None:
    events, dispatcher = _run(ActionAnswerAdultEducation(),
                              _tracker("kan vuxna plugga på komvux?", "ask_adult_education"))
    assert [m["response"] for m in dispatcher.messages] == ["utter_adult_education"]
    assert events == []
