"""Scrub identifiers from every message that enters Rasa, whichever channel it came by.

The gateway scrubs what the widget sends, but Rasa's channel webhooks
(`/webhooks/rest/webhook`, socket.io) take no token: any process on the host can post to them
on loopback. Every channel and the HTTP API's `/conversations/<id>/messages` build a
`UserMessage`, so scrubbing its text there keeps raw identifiers out of the tracker store and
the actions, whoever sends them. Scrubbing is idempotent, so gateway messages pass unchanged.
"""

from __future__ import annotations

import functools
from typing import Any

from rasa.core.channels.channel import UserMessage

from bot.privacy import scrub

MARK = "_vagvisaren_scrubbed"


def apply() -> None:
    """Wrap `UserMessage.__init__` once; a second call changes nothing."""
    original = UserMessage.__init__
    if getattr(original, MARK, False):
        return

    @functools.wraps(original)
    def __init__(self: UserMessage, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if isinstance(self.text, str) and self.text:
            self.text = scrub(self.text)

    setattr(__init__, MARK, True)
    UserMessage.__init__ = __init__  # type: ignore[method-assign]
