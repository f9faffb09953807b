"""Folding Rasa events into the stored summaries, in one app-database transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from bot import storage
from bot.summaries.state import State, apply, finish


def load_state(row: storage.ConversationSummary | None, conversation_id: str) -> State:
    return State.model_validate_json(row.state) if row else State(conversation_id=conversation_id)


def _save(current: storage.Session, row: storage.ConversationSummary | None, state: State) -> None:
    finish(state)
    values = {
        "school": state.school, "language": state.language, "started_at": state.started_at,
        "ended_at": state.ended_at, "fields": "|" + "".join(f"{f}|" for f in state.fields),
        "handover": state.handover, "data": state.summary().model_dump_json(),
        "state": state.model_dump_json(),
    }
    if row is None:
        current.add(storage.ConversationSummary(conversation_id=state.conversation_id, **values))
    else:
        for key, value in values.items():
            setattr(row, key, value)


def fold(current: storage.Session, events: Iterable[tuple[str | None, dict[str, Any]]]) -> int:
    """Fold (sender, Rasa event dict) pairs, in order, into the summaries they touch; rows
    without a sender (emptied broker rows) are skipped. The number of events folded."""
    by_sender: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for sender, event in events:
        if sender:
            by_sender[sender].append(event)
    for sender, folded in by_sender.items():
        existing = current.get(storage.ConversationSummary, sender)
        state = load_state(existing, sender)
        for event in folded:
            apply(state, event)
        _save(current, existing, state)
    return sum(len(folded) for folded in by_sender.values())
