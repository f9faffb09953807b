"""Vägvisaren knowledge base: schema, validated loading, queries, SQLite and CSV tools."""

from bot.knowledge.loader import KnowledgeError, load_knowledge
from bot.knowledge.schema import KnowledgeBase

__all__ = ["KnowledgeBase", "KnowledgeError", "load_knowledge"]
