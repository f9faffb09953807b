"""Thin rasa_sdk actions: each one reads the tracker, calls `bot`, and returns events.

Importing the package validates the knowledge base, so the action server refuses to start
with a missing or corrupt file (the error names it) instead of serving half the data.
"""

from bot.knowledge.loader import load_knowledge

load_knowledge()
