"""One real matcher (knowledge base + project-built model) for all matching tests."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bot.matching import Matcher, get_matcher  # noqa: E402


@pytest.fixture(scope="session")
def matcher() -> Matcher:
    return get_matcher()
