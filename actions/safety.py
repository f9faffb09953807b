"""No action leaves the user without a reply: errors become a short apology and a log line."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.matching.shared import wait_for_matcher
from bot.settings import language_or_default

log = logging.getLogger("vagvisaren.actions")
Run = Callable[[Any, CollectingDispatcher, Tracker, dict[str, Any]], Awaitable[list[EventType]]]


def apologise_on_error(run: Run) -> Run:
    """Wrap an action's `run`: on any exception, log it and utter `utter_action_error`."""

    @functools.wraps(run)
    async def wrapper(self: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                      domain: dict[str, Any]) -> list[EventType]:
        try:
            await wait_for_matcher()  # never block the server's loop on the first load
            return await run(self, dispatcher, tracker, domain)
        except Exception:
            log.exception("action %s failed for conversation %s", self.name(), tracker.sender_id)
            dispatcher.messages.clear()
            dispatcher.utter_message(response="utter_action_error")
            return []

    return wrapper


def language_of(tracker: Tracker) -> str:
    """The conversation's language; the configured default before one is known."""
    return language_or_default(tracker.get_slot("language"))


def plain_of(tracker: Tracker) -> bool:
    return bool(tracker.get_slot("plain_language"))
