"""The supervisor's report file: written by `bot.supervisor`, read by the gateway's /healthz.

A file, not an API, so that the gateway needs nothing from the supervisor's process and
keeps answering (with what it knows) when the supervisor itself is gone.
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

STATE_FILE = "supervisor.json"
# A report older than this many check intervals means the supervisor has stopped checking.
STALE_INTERVALS = 5


def read_state(var_dir: Path) -> dict[str, Any] | None:
    """The supervisor's last report, or None when no supervisor runs for this var_dir."""
    try:
        state = json.loads((var_dir / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def is_stale(state: dict[str, Any], now: float | None = None) -> bool:
    """True when the supervisor has not written a report for several check intervals."""
    try:
        checked = datetime.fromisoformat(state["checked_at"]).timestamp()
        interval = float(state["interval_s"])
    except (KeyError, TypeError, ValueError):
        return True
    return (now if now is not None else time.time()) - checked > STALE_INTERVALS * interval + 5


# The action server's readiness: its /health answers while the matcher (8-20 s) is still
# loading, and a turn then waits that long. So readiness is asked of an action of its own,
# `action_ready_probe` (actions/matches.py), which no story or rule uses.
READY_ACTION = "action_ready_probe"


def ready_probe_request() -> dict[str, Any]:
    """The smallest webhook call rasa_sdk accepts: a probe conversation with no events."""
    tracker = {"sender_id": "ready-probe", "slots": {}, "latest_message": {}, "events": [],
               "paused": False, "followup_action": None, "active_loop": {},
               "latest_action_name": None}
    return {"next_action": READY_ACTION, "sender_id": "ready-probe", "tracker": tracker,
            "domain": {}, "version": _sdk_version()}


@functools.cache
def _sdk_version() -> str:
    """rasa_sdk's own version: it warns in its log at every call from another minor version."""
    try:
        return importlib.metadata.version("rasa-sdk")
    except importlib.metadata.PackageNotFoundError:
        return "3.6.21"  # the Rasa server's version, as Rasa itself would send


def ready_probe_says_ready(reply: Any) -> bool:
    """Whether the action server's answer to `ready_probe_request` says it is ready."""
    if not isinstance(reply, dict):
        return False
    return any(isinstance(r, dict) and (r.get("custom") or {}).get("ready") is True
               for r in reply.get("responses") or [])
