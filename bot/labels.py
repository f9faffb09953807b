"""Small per-language word lists from bot/labels.yml (list words, skip words, learner markers)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

LABELS_FILE = Path(__file__).with_name("labels.yml")


@lru_cache(maxsize=1)
def labels() -> dict[str, Any]:
    return yaml.safe_load(LABELS_FILE.read_text(encoding="utf-8"))


def label(key: str, language: str) -> str:
    """A short word in `language` (Swedish when missing)."""
    return labels()[key].get(language) or labels()[key]["sv"]
