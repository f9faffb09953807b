"""Hit@k of the matcher on a labelled dev set (tests/matching/<lang>.yml): evaluation only."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.labels import COUNTRY_OF_LANGUAGE
from bot.matching.engine import Matcher
from bot.matching.types import Mode

DEV_DIR = Path(__file__).resolve().parents[2] / "tests" / "matching"


@dataclass(frozen=True)
class DevItem:
    text: str
    fields: tuple[str, ...]
    interests: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scores:
    hit1: float
    hit3: float
    n: int
    misses: tuple[str, ...]  # texts whose labelled fields are not in the top 3


def load_devset(lang: str, folder: Path = DEV_DIR) -> list[DevItem]:
    rows = yaml.safe_load((folder / f"{lang}.yml").read_text(encoding="utf-8"))
    return [DevItem(r["text"], tuple(r["fields"]), tuple(r.get("interests", []))) for r in rows]


def evaluate(matcher: Matcher, lang: str, mode: Mode = "hybrid",
             items: list[DevItem] | None = None) -> Scores:
    """Share of items with a labelled field at rank 1 and within the top 3."""
    items = items if items is not None else load_devset(lang)
    hit1 = hit3 = 0
    misses = []
    for item in items:
        ranked = matcher.match(item.text, item.interests, lang, COUNTRY_OF_LANGUAGE[lang],
                               mode=mode).field_ids
        hit1 += bool(set(ranked[:1]) & set(item.fields))
        if set(ranked[:3]) & set(item.fields):
            hit3 += 1
        else:
            misses.append(item.text)
    n = len(items)
    return Scores(hit1 / n, hit3 / n, n, tuple(misses))
