"""Whole conversations against the real stack, checked the way a user meets them.

The conversations live in tests/conversations/{sv,fi,da}.yml (format: its README). A runner
sends each turn through the gateway's `POST /api/chat` as the widget does (following the
language and plain-language state the bot reports), recognises which domain responses the
bot gave, reads the slots from Rasa's tracker, and checks every `expect`. Used by
`make eval-dialogue` (bench/eval_dialogue.py) and by tests/test_conversations.py.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx
import yaml

from bot.knowledge.loader import load_knowledge
from bot.knowledge.schema import ADULT_LEVEL
from bot.language import detect
from bot.responses import pattern
from bot.settings import ROOT

CONVERSATIONS_DIR = ROOT / "tests" / "conversations"
ASKS: dict[str, set[str]] = {
    # The greeting ends with "tell me what you like".
    "interests": {"utter_ask_interests", "utter_ask_interests_again", "utter_undecided",
                  "utter_greet"},
    "location": {"utter_ask_location", "utter_ask_location_again", "utter_location_unknown",
                 "utter_location_did_you_mean"},
    "visit": {"utter_ask_which_visit", "utter_visits_nearby", "utter_no_visits_nearby",
              "utter_visits_national"},
    "nickname": {"utter_ask_nickname", "utter_nickname_invalid"},
}
FALLBACKS = {"utter_default", "utter_location_unknown"}
CHECKS = {"says", "not_says", "asks", "handover", "suggestions", "only", "fields", "within_km",
          "school_within_km", "buttons", "slots", "language", "plain_language", "no_fallback",
          "programmes_for"}
SCHOOL = "conversation-tests"


@dataclass(frozen=True)
class Conversation:
    id: str
    persona: str
    language: str
    widget: dict[str, Any]
    fast: bool
    turns: list[dict[str, Any]]
    # "main" (interests, places, visits), "behind" (worries, pay, myths, placements) or
    # "where" (schools that teach it): make eval-dialogue reports each group on its own.
    group: str = "main"


@dataclass
class TurnResult:
    index: int
    sent: str
    texts: list[str]
    failures: list[str] = field(default_factory=list)
    trap: bool = False


@dataclass
class ConversationResult:
    conversation: Conversation
    turns: list[TurnResult] = field(default_factory=list)

    @property
    def traps(self) -> int:
        return sum(t.trap for t in self.turns)

    @property
    def ok(self) -> bool:
        return not any(t.failures for t in self.turns)

    def report(self) -> str:
        """The failed turns, with what was sent and what came back."""
        lines = [f"{self.conversation.id}:"]
        for turn in self.turns:
            if turn.failures:
                said = " | ".join(t.replace("\n", " / ")[:160] for t in turn.texts)
                lines.append(f"  turn {turn.index + 1} {turn.sent!r}: {'; '.join(turn.failures)}")
                lines.append(f"    bot: {said}")
        return "\n".join(lines)


def load(language: str, directory: Path = CONVERSATIONS_DIR) -> list[Conversation]:
    """The conversations of one language, checked for unknown keys (a typo never passes)."""
    data = yaml.safe_load((directory / f"{language}.yml").read_text(encoding="utf-8"))
    out = []
    for raw in data["conversations"]:
        for turn in raw["turns"]:
            unknown = set(turn.get("expect") or {}) - CHECKS
            if unknown:
                raise ValueError(f"{raw['id']}: unknown checks {sorted(unknown)}")
        out.append(Conversation(
            id=raw["id"], persona=raw.get("persona", "pupil"), language=raw["language"],
            widget=dict(raw.get("widget") or {"language": raw["language"]}),
            fast=bool(raw.get("fast")), turns=list(raw["turns"]),
            group=str(raw.get("group", "main"))))
    return out


class ResponseIndex:
    """Which domain responses a bot text is (any variation, placeholders matching anything)."""

    def __init__(self, domain: Mapping[str, Any]) -> None:
        self._patterns: list[tuple[str, re.Pattern[str]]] = []
        for name, variations in domain.get("responses", {}).items():
            for variation in variations:
                if variation.get("text"):
                    self._patterns.append((name, pattern(variation["text"])))

    def names(self, text: str) -> set[str]:
        return {name for name, regex in self._patterns if regex.match(text)}


def _prose(texts: Iterable[str]) -> str:
    """The bot's sentences without list lines (names of schools and firms tell no language)."""
    return " ".join(line for text in texts for line in text.splitlines()
                    if line.strip() and not line.lstrip().startswith("•"))


class Runner:
    """Runs conversations through the gateway of a running stack."""

    def __init__(self, gateway_url: str, rasa_url: str, token: str,
                 domain: Mapping[str, Any], timeout: float = 30.0) -> None:
        self.gateway_url, self.rasa_url, self.token = gateway_url, rasa_url, token
        self.responses = ResponseIndex(domain)
        self.client = httpx.Client(timeout=timeout)

    def _slots(self, session_id: str) -> dict[str, Any]:
        reply = self.client.get(f"{self.rasa_url}/conversations/{session_id}/tracker",
                                params={"token": self.token, "include_events": "NONE"})
        reply.raise_for_status()
        return dict(reply.json().get("slots") or {})

    def run(self, conversation: Conversation) -> ConversationResult:
        result = ConversationResult(conversation)
        widget_language = conversation.widget.get("language", conversation.language)
        widget_plain = bool(conversation.widget.get("plain_language", False))
        session_id = f"conv-{uuid.uuid4().hex[:16]}"
        buttons: list[dict[str, Any]] = []
        previous: str | None = None
        for index, turn in enumerate(conversation.turns):
            if "tap" in turn:
                try:
                    button = buttons[int(turn["tap"])]
                except (IndexError, ValueError):
                    result.turns.append(TurnResult(index, f"tap {turn['tap']}", [],
                                                   [f"no button {turn['tap']} to tap"]))
                    break
                message = button["payload"]
            else:
                message = str(turn["user"])
            body = {"session_id": session_id, "message": message, "language": widget_language,
                    "plain_language": widget_plain, "school": SCHOOL}
            reply = self.client.post(f"{self.gateway_url}/api/chat", json=body)
            if reply.status_code != 200:
                result.turns.append(TurnResult(index, message, [],
                                               [f"HTTP {reply.status_code}: {reply.text[:200]}"]))
                break
            data = reply.json()
            # The widget follows the state the bot reports.
            widget_language = data.get("language") or widget_language
            if isinstance(data.get("plain_language"), bool):
                widget_plain = data["plain_language"]
            messages = data.get("messages") or []
            texts = [m["text"] for m in messages if m.get("text")]
            buttons = [b for m in messages for b in (m.get("buttons") or [])]
            items = [item for m in messages if isinstance(m.get("custom"), dict)
                     for item in m["custom"].get("items", [])]
            turn_result = TurnResult(index, message, texts)
            joined = "\n".join(texts)
            turn_result.trap = bool(joined) and joined == previous
            previous = joined
            self._check(turn_result, turn.get("expect") or {}, conversation, data, texts,
                        buttons, items, widget_plain, session_id)
            result.turns.append(turn_result)
        return result

    def _check(self, turn: TurnResult, expect: Mapping[str, Any], conversation: Conversation,
               data: Mapping[str, Any], texts: list[str], buttons: list[dict[str, Any]],
               items: list[dict[str, Any]], plain: bool, session_id: str) -> None:
        fail = turn.failures.append
        if data.get("degraded"):
            fail("degraded reply")
        if not texts and not items:
            fail("no reply")
        if turn.trap:
            fail("trap: the same reply as the turn before")
        said = set().union(*(self.responses.names(t) for t in texts)) if texts else set()
        language = expect.get("language", conversation.language)
        detected, _ = detect(_prose(texts))
        if detected is not None and detected != language:
            fail(f"reply in {detected}, not {language}")
        for name in expect.get("says", []):
            if name not in said:
                fail(f"did not say {name}")
        for name in expect.get("not_says", []):
            if name in said:
                fail(f"said {name}")
        if "asks" in expect and not ASKS[expect["asks"]] & said:
            fail(f"did not ask for {expect['asks']}")
        if expect.get("handover") and "utter_handover_created" not in said:
            fail("no handover")
        if expect.get("no_fallback") and FALLBACKS & said:
            fail(f"fallback: {sorted(FALLBACKS & said)}")
        kinds = {item.get("kind") for item in items}
        for kind in expect.get("suggestions", []):
            if kind not in kinds:
                fail(f"no {kind} suggestions (got {sorted(k for k in kinds if k)})")
        if "only" in expect and (not items or kinds != {expect["only"]}):
            fail(f"not only {expect['only']} (got {sorted(k for k in kinds if k)})")
        if "fields" in expect:
            found = {f for item in items for f in item.get("fields", [])}
            if not found & set(expect["fields"]):
                fail(f"none of the fields {expect['fields']} (got {sorted(found)})")
        if "within_km" in expect:
            distances = [item["distance_km"] for item in items
                         if item.get("kind") in ("company", "visit")
                         and item.get("distance_km") is not None]
            if not distances or min(distances) > float(expect["within_km"]):
                fail(f"nothing within {expect['within_km']} km (nearest {min(distances or [-1])})")
        if "school_within_km" in expect:
            limit = float(expect["school_within_km"])
            near = [p["name"] for item in items if item.get("kind") == "programme"
                    for p in item.get("providers") or []
                    if p.get("distance_km") is not None and p["distance_km"] <= limit]
            if not near:
                fail(f"no school within {expect['school_within_km']} km on a programme card")
            elif not any(name in "\n".join(texts) for name in near):
                fail("the reply names none of the schools on the cards")
        if "programmes_for" in expect:
            levels = [_levels().get(item["id"]) for item in items
                      if item.get("kind") == "programme"]
            if not levels:
                fail("no programme suggestions")
            elif expect["programmes_for"] == "young" and ADULT_LEVEL in levels:
                fail("adult education offered to a young user")
            elif expect["programmes_for"] == "adult" and levels[0] != ADULT_LEVEL:
                fail("adult education not first for an adult")
        if "buttons" in expect and len(buttons) < int(expect["buttons"]):
            fail(f"{len(buttons)} buttons, wanted {expect['buttons']}")
        if "plain_language" in expect and plain != bool(expect["plain_language"]):
            fail(f"plain language is {plain}")
        if "slots" in expect:
            slots = self._slots(session_id)
            for name, value in expect["slots"].items():
                if slots.get(name) != value:
                    fail(f"slot {name} = {slots.get(name)!r}, wanted {value!r}")


@lru_cache(maxsize=1)
def _levels() -> dict[str, str]:
    """Programme id -> level, from the knowledge base the stack serves."""
    return {p.id: p.level for p in load_knowledge().programmes}


@dataclass
class Summary:
    language: str
    conversations: int
    succeeded: int
    traps: int
    failures: list[ConversationResult]
    group: str = "all"

    @property
    def success(self) -> float:
        return self.succeeded / self.conversations if self.conversations else 0.0


def summarise(language: str, results: list[ConversationResult], group: str = "all") -> Summary:
    return Summary(language, len(results), sum(r.ok for r in results),
                   sum(r.traps for r in results), [r for r in results if not r.ok], group)


def by_group(summary_language: str, results: list[ConversationResult]) -> list[Summary]:
    """One summary per conversation group, in order of first appearance."""
    groups = dict.fromkeys(r.conversation.group for r in results)
    return [summarise(summary_language, [r for r in results if r.conversation.group == g], g)
            for g in groups]
