"""Fixtures: settings pointing at a private var/ dir with a tracker store and an event broker
in Rasa's schemas."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from counsellor_events import Tracker

from bot.settings import get_settings


@pytest.fixture
def var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Settings point at a private var/ dir, tracker store and event broker for this test."""
    monkeypatch.setenv("VAGVISAREN_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("VAGVISAREN_TRACKER_DB", str(tmp_path / "tracker.db"))
    monkeypatch.setenv("VAGVISAREN_BROKER_DB", str(tmp_path / "events.db"))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.fixture
def tracker(var_dir: Path) -> Tracker:
    return Tracker(var_dir / "tracker.db")
