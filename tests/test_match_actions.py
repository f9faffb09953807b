"""action_suggest_matches on real knowledge-base data: reasons, countries, distances, payload."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.matches import ActionSuggestMatches
from bot.knowledge.loader import load_knowledge

CASES = [
    ("sv", "jag gillar att skruva på mopeder", "umea", "SE", "vehicles"),
    ("fi", "mä tykkään koodata", "turku", "FI", "it"),
    ("da", "jeg kan godt lide at svejse", "aarhus", "DK", "manufacturing"),
]


def _run(language: str, text: str, place: str | None) -> list[dict[str, Any]]:
    said = [{"event": "user", "text": text, "parse_data": {"intent": {"name": "tell_interest"}}}]
    slots = {"language": language, "plain_language": False, "interests": [text],
             "location": place}
    latest = {"text": place or text, "intent": {"name": "tell_location"}, "entities": []}
    tracker = Tracker("pupil-7", slots, latest, said, False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionSuggestMatches().run(dispatcher, tracker, {}))
    return dispatcher.messages


@pytest.mark.parametrize(("language", "text", "place", "country", "field"), CASES)
def test_suggestions(language: str, text: str, place: str, country: str, field: str) -> None:
    kb = load_knowledge()
    summary, where, cards, ask_visit = _run(language, text, place)
    assert summary["response"] == "utter_matches"
    assert where["response"] == "utter_study_near"
    assert ask_visit["response"] == "utter_ask_visit"
    quoted = re.search(r"\*(.+?)\*", summary["reason"]).group(1)
    assert quoted.lower() in text.lower()  # the reason names the user's own word
    payload = cards["custom"]
    assert payload["type"] == "suggestions" and payload["language"] == language
    items = payload["items"]
    by_kind = {k: [i for i in items if i["kind"] == k] for k in ("programme", "profession",
                                                                 "company")}
    # A pupil's field may have one youth programme (Sweden, mopeds: Fordons- och
    # transportprogrammet); adult education is never the filler (tests/matching/test_audience).
    assert 1 <= len(by_kind["programme"]) <= 3, by_kind
    assert all(2 <= len(by_kind[k]) <= 3 for k in ("profession", "company")), by_kind
    assert field in by_kind["programme"][0]["fields"]
    assert all(kb.programme(p["id"]).country == country for p in by_kind["programme"])
    # the school named in the text is the nearest one on that programme's card
    named = next(p for p in by_kind["programme"] if p["title"] == where["programme"])
    nearest = named["providers"][0]
    assert where["school"].startswith(nearest["name"]) and where["town"] == nearest["municipality"]
    assert where["km"] == f"{nearest['distance_km']:.0f}"
    companies = by_kind["company"]
    assert all(kb.place(kb.company(c["id"]).municipality).country == country for c in companies)
    distances = [c["distance_km"] for c in companies]
    assert distances[1] <= 150  # near the user; a far one only makes up the minimum of two
    for item in items:
        assert item["title"] in (summary["programmes"] + summary["professions"]
                                 + summary["companies"])


def test_without_a_place_companies_come_from_the_language_country() -> None:
    summary, national, cards, _ = _run("fi", "tykkään hitsata", None)
    assert (summary["response"], national["response"]) == ("utter_matches_national",
                                                           "utter_national_only")
    companies = [i for i in cards["custom"]["items"] if i["kind"] == "company"]
    kb = load_knowledge()
    assert companies and all(
        kb.place(kb.company(c["id"]).municipality).country == "FI" for c in companies
    )


def test_no_interest_at_all_asks_again() -> None:
    messages = _run("sv", "😀😀😀", "goteborg")
    assert [m["response"] for m in messages] == ["utter_ask_interests_again"]
