"""bot.audience.audience_of: who the programmes are for, from the conversation's own
messages (real Rasa user events, as the action server gets them)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.audience import audience_of


def _user(text: str, intent: str = "tell_interest",
          entities: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"event": "user", "text": text,
            "parse_data": {"intent": {"name": intent}, "entities": entities or []}}


IRAQ = [{"entity": "origin", "value": "IQ", "start": 28, "end": 36}]


@pytest.mark.parametrize("events", [
    [_user("vill gerne bliv elektrikker når jeg bliver stor")],
    [_user("tja"), _user("gillar bilar o motorer")],
    [],
    # A parent who came from abroad, asking for their son: youth programmes.
    [_user("Vi flyttade från Eritrea förra året. Min son ska ha prao", "ask_placement",
           [{"entity": "origin", "value": "ER", "start": 18, "end": 25}])],
    [_user("Vores datter på 14 vil være elektriker")],
    # "Jeg har to børn" is an adult with children, but not one asking for a child: the
    # adult word decides, and here there is none, so young.
    [_user("Jeg har to børn og en lejlighed", "ask_pay")],
])
def test_young(events: list[dict[str, Any]]) -> None:
    assert audience_of(events) == "young"


@pytest.mark.parametrize("events", [
    [_user("metalli työ, minä tein sitä Irakissa", "tell_interest", IRAQ)],
    [_user("kan vuxna läsa till elektriker", "ask_adult_education")],
    [_user("jag läser sfi och vill jobba med el")],
    [_user("Herning. Jeg bor der med min kone.", "tell_location")],
    [_user("i mitt land jag var svetsare")],
    [_user("Olen 35 vuotias ja haluan sähköalalle")],
    [_user("jeg er 42 år og vil gerne være tømrer")],
    [_user("hej"), _user("jag vill bli vuxen elektriker")],
])
def test_adult(events: list[dict[str, Any]]) -> None:
    assert audience_of(events) == "adult"


def test_a_young_age_is_no_adult() -> None:
    assert audience_of([_user("jag är 14 år och gillar bilar")]) == "young"


def test_only_the_users_messages_count() -> None:
    bot = {"event": "bot", "text": "Komvux är vuxenutbildning"}
    assert audience_of([bot, _user("gillar bilar")]) == "young"
