"""Shared fixtures: the shipped knowledge base and a writable copy of it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.knowledge.loader import DEFAULT_DIR, load_knowledge
from bot.knowledge.schema import KnowledgeBase


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge()


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    """A copy of knowledge/ that a test may break."""
    target = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DIR, target, ignore=shutil.ignore_patterns("*.md"))
    return target
