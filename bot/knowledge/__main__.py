"""Entry point for `python -m bot.knowledge`."""

from bot.knowledge.cli import app

app()
