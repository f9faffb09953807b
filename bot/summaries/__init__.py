"""Conversation summaries for counsellors, built incrementally from Rasa's SQL event broker."""

from bot.summaries.state import Summary
from bot.summaries.store import TranscriptLine, get_summary, refresh, transcript, week_of
from bot.summaries.text import readable

__all__ = ["Summary", "TranscriptLine", "get_summary", "readable", "refresh", "transcript",
           "week_of"]
