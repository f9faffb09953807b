"""The summary a counsellor acts on: the pupil's words (scrubbed), unanswered questions, the
schools on the programme cards, and names (not ids) in the counsellor's language."""

from __future__ import annotations

import json
import time

import pytest
from counsellor_events import Tracker, conversation

from bot import storage
from bot.privacy import EMAIL_MASK, PERSONNUMMER_MASK, PHONE_MASK
from bot.summaries import get_summary, refresh
from bot.summaries.state import MAX_QUOTES, QUOTE_CHARS, State, Summary
from bot.summaries.text import name_of

SUGGESTIONS = {"type": "suggestions", "language": "sv", "items": [
    {"kind": "programme", "id": "se_ft", "title": "Fordon", "fields": ["vehicles"],
     "providers": [
         {"id": "motorbranschens_tekniska_gymnasium", "name": "Motorbranschens tekniska "
          "gymnasium", "kind": "gymnasieskola", "municipality": "goteborg",
          "distance_km": 3.0, "website": "https://goteborg.se"},
         {"id": "lindholmens_tekniska_gymnasium", "name": "Lindholmens tekniska gymnasium",
          "kind": "gymnasieskola", "municipality": "goteborg", "distance_km": 4.0,
          "website": "https://goteborg.se"}]},
    {"kind": "profession", "id": "car_mechanic", "title": "Bilmekaniker"},
    {"kind": "visit", "id": "industrinatten_goteborg", "title": "Industrinatten"},
]}


def rich_conversation(tracker: Tracker, sender: str, start: float) -> None:
    """A conversation with every item of the summary: interests with a phone number, two
    unanswered questions (one with an e-mail address), programme cards with schools."""
    conversation(tracker, sender, start, handover="Kan jag prata med någon om bilar?",
                 signup="industrinatten_goteborg")
    tracker.user(sender, start + 50, "jag gillar bilar, ring mig 070-123 45 67", "tell_interest")
    tracker.bot(sender, start + 51, custom=SUGGESTIONS)
    tracker.user(sender, start + 60, "vad tjänar en svetsare i Norge? skriv till sam@example.se",
                 "nlu_fallback")
    tracker.bot(sender, start + 61, "Jag förstod inte.", "utter_default")
    # An answer that broke: utter_action_error after an ordinary intent is a fallback too.
    tracker.user(sender, start + 70, "hur lång är utbildningen", "ask_programme_length")
    tracker.bot(sender, start + 71, "Något gick fel.", "utter_action_error")


def test_rich_summary_items(tracker: Tracker) -> None:
    rich_conversation(tracker, "rich", time.time() - 3600)
    tracker.flush()
    refresh()
    summary = get_summary("rich")
    assert summary is not None
    assert summary.interests == ["jag gillar att skruva på mopeder",
                                 f"jag gillar bilar, ring mig {PHONE_MASK}"]
    assert summary.unanswered == ["asdfgh",
                                  f"vad tjänar en svetsare i Norge? skriv till {EMAIL_MASK}",
                                  "hur lång är utbildningen"]
    assert summary.fallback_count == 3
    assert summary.schools == ["motorbranschens_tekniska_gymnasium",
                               "lindholmens_tekniska_gymnasium"]
    assert summary.suggested["profession"] == ["car_mechanic"]
    assert summary.suggested["visit"] == ["industrinatten_goteborg"]
    assert summary.signups == ["industrinatten_goteborg"]
    # The number's own digits, not a bare "070": a timestamp may hold that (1796120703.7…).
    assert "070-123" not in json.dumps(summary.model_dump())
    assert "45 67" not in json.dumps(summary.model_dump())
    assert "sam@example" not in json.dumps(summary.model_dump())


def test_quotes_are_few_short_and_scrubbed() -> None:
    """At most a few questions, each capped; button payloads are no question; an identity
    number in an unanswered question is masked."""
    from bot.summaries.state import apply

    state = State(conversation_id="q")
    said = ["mitt personnummer är 080512-1233, vad gör jag?", "/request_visit",
            "x" * 500, "en fjärde fråga", "en femte fråga"]
    for i, text in enumerate(said):
        apply(state, {"event": "user", "timestamp": 1000.0 + i, "text": text,
                      "parse_data": {"intent": {"name": "nlu_fallback"}}})
    assert state.fallback_count == 5
    assert len(state.unanswered) == MAX_QUOTES
    assert state.unanswered[0] == f"mitt personnummer är {PERSONNUMMER_MASK}, vad gör jag?"
    assert "/request_visit" not in state.unanswered
    assert len(state.unanswered[1]) == QUOTE_CHARS and state.unanswered[1].endswith("…")


def test_state_stored_before_the_new_items_still_loads(tracker: Tracker) -> None:
    """A row written by the previous release (no interests, schools or unanswered) loads,
    and gains the pupil's interests on its next refresh."""
    old_state = {"conversation_id": "old", "school": "demo-skolan", "language": "sv",
                 "started_at": 1000.0, "ended_at": 1001.0, "user_turns": 1,
                 "interest_texts": ["jag gillar djur, mejla bo@example.se"],
                 "matched_key": "", "fields": []}
    old_summary = {k: v for k, v in old_state.items() if k in Summary.model_fields}
    with storage.session() as current:
        current.add(storage.ConversationSummary(
            conversation_id="old", school="demo-skolan", language="sv", started_at=1000.0,
            ended_at=1001.0, fields="|", handover=False, data=json.dumps(old_summary),
            state=json.dumps(old_state)))
    loaded = get_summary("old")
    assert loaded is not None and loaded.interests == [] and loaded.unanswered == []
    tracker.user("old", time.time(), "hej igen", "greet")
    tracker.flush()
    refresh()
    updated = get_summary("old")
    assert updated is not None and updated.user_turns == 2
    assert updated.interests == [f"jag gillar djur, mejla {EMAIL_MASK}"]


@pytest.mark.parametrize(("kind", "record_id", "language", "name"), [
    ("field", "vehicles", "sv", "Fordon"),
    ("programme", "se_ft", "sv", "Fordons- och transportprogrammet"),
    ("school", "motorbranschens_tekniska_gymnasium", "fi",
     "Motorbranschens tekniska gymnasium (Göteborg)"),
    ("company", "volvo_cars_torslanda", "da", "Volvo Cars (Torslanda, Göteborg)"),
    ("visit", "no_such_visit", "sv", "no_such_visit"),
])
def test_names_not_ids(kind: str, record_id: str, language: str, name: str) -> None:
    assert name_of(kind, record_id, language) == name


def test_conversation_endpoints_return_names_and_labels(tracker: Tracker) -> None:
    """The API names everything in the counsellor's language: the list's fields by label,
    and the detail's suggestions, schools and sign-ups by name, never by id."""
    from fastapi.testclient import TestClient

    from bot.api.app import app
    from bot.auth import accounts, schools

    rich_conversation(tracker, "rich", time.time() - 3600)
    tracker.flush()
    schools.add_school("demo-skolan", "Demoskolan")
    accounts.add_counsellor("anna", "demo-skolan", "correct horse battery", "fi")
    client = TestClient(app)
    assert client.post("/api/counsellor/login", json={
        "username": "anna", "password": "correct horse battery"}).status_code == 200
    listed = client.get("/api/counsellor/conversations").json()["items"][0]
    assert listed["fields"][0] == "vehicles" and listed["field_labels"][0] == "Ajoneuvot"
    sv = client.get("/api/counsellor/conversations/rich?lang=sv").json()
    names = sv["suggested_names"]
    assert [n["name"] for n in names["programmes"]] == ["Fordons- och transportprogrammet"]
    assert names["schools"][0] == {"id": "motorbranschens_tekniska_gymnasium",
                                   "name": "Motorbranschens tekniska gymnasium (Göteborg)"}
    assert names["professions"][0]["name"] == "Bilmekaniker"
    assert [n["name"] for n in names["companies"]] == ["volvo"]  # not in the knowledge base
    assert sv["signup_names"][0]["name"] == names["visits"][0]["name"] != "industrinatten_goteborg"
    assert sv["interests"][1] == f"jag gillar bilar, ring mig {PHONE_MASK}"
    assert sv["unanswered"][1].endswith(EMAIL_MASK)
    fi = client.get("/api/counsellor/conversations/rich").json()
    assert fi["suggested_names"]["programmes"][0]["name"] != names["programmes"][0]["name"]


def test_stored_state_holds_no_raw_identifier(tracker: Tracker) -> None:
    """The builder's working copy (the `state` column) is scrubbed too, not only the view."""
    rich_conversation(tracker, "rich", time.time() - 3600)
    tracker.user("rich", time.time(), "mitt nummer är 070-123 45 67", "inform")
    tracker.flush()
    refresh()
    with storage.session() as current:
        row = current.get(storage.ConversationSummary, "rich")
        assert row is not None
        stored = row.state + row.data
    assert "070-123" not in stored and "sam@example.se" not in stored
    assert PHONE_MASK in stored
