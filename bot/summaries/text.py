"""The 2-3 sentence readable summary, from templates in templates.yml (sv, fi, da)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.knowledge.loader import load_knowledge
from bot.settings import language_or_default
from bot.summaries.state import Summary

TEMPLATES = Path(__file__).with_name("templates.yml")


@lru_cache(maxsize=1)
def templates() -> dict[str, dict[str, Any]]:
    return yaml.safe_load(TEMPLATES.read_text(encoding="utf-8"))


def field_label(field_id: str, language: str) -> str:
    field = load_knowledge().field(field_id)
    return field.label.get(language).lower() if field else field_id


def _join(names: list[str], word: str) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {word} {names[-1]}"


def readable(summary: Summary, language: str | None = None) -> str:
    """Opening sentence, interests sentence, the worries and questions the pupil raised, and
    one outcome sentence (the most important)."""
    language = language_or_default(language)
    t = templates()[language]
    day = dt.datetime.fromtimestamp(summary.started_at, dt.UTC).date()
    date = day.isoformat() if language == "sv" else day.strftime("%d.%m.%Y")
    spoken = t["languages"].get(summary.language or "", t["unknown_language"])
    sentences = [t["opening"].format(language=spoken, plain=t["plain"] if summary.plain_language
                                     else "", date=date, turns=summary.user_turns)]
    place = t["place"].format(place=summary.place) if summary.place else ""
    if summary.fields:
        labels = [field_label(f, language) for f in summary.fields]
        sentences.append(t["interests"].format(fields=_join(labels, t["and"]), place=place))
    else:
        sentences.append(t["no_interests"].format(place=place))
    if summary.concerns:
        topics = [t["concern_labels"].get(c, c) for c in summary.concerns]
        sentences.append(t["concerns"].format(topics=_join(topics, t["and"])))
    if summary.handover:
        sentences.append(t["handover"])
    elif summary.signups:
        sentences.append(t["signup"].format(count=len(summary.signups)))
    elif any(summary.suggested.values()):
        counts = {kind: len(summary.suggested.get(kind, [])) for kind in
                  ("programme", "profession", "company", "visit")}
        sentences.append(t["suggested"].format(
            programmes=counts["programme"], professions=counts["profession"],
            companies=counts["company"], visits=counts["visit"]))
    elif summary.fallback_count:
        sentences.append(t["fallbacks"].format(count=summary.fallback_count))
    return " ".join(sentences)


def _at(name: str, site: str | None, municipality: str) -> str:
    """"Volvo Cars (Torslanda, Göteborg)": which works or campus, and in which town."""
    place = load_knowledge().place(municipality)
    where = ", ".join(p for p in (site, place.name if place else None) if p)
    return f"{name} ({where})" if where else name


def name_of(kind: str, record_id: str, language: str) -> str:
    """A stored id by its knowledge-base name in `language`; the id itself when the record is
    gone (the summary outlives a knowledge-base edit, and an id is better than nothing)."""
    knowledge = load_knowledge()
    if kind == "field":
        field = knowledge.field(record_id)
        return field.label.get(language) if field else record_id
    if kind == "programme":
        programme = knowledge.programme(record_id)
        return programme.name.get(language) if programme else record_id
    if kind == "profession":
        profession = knowledge.profession(record_id)
        return profession.title.get(language) if profession else record_id
    if kind == "company":
        company = knowledge.company(record_id)
        return _at(company.name, company.site, company.municipality) if company else record_id
    if kind == "visit":
        visit = knowledge.visit(record_id)
        return visit.title.get(language) if visit else record_id
    if kind == "school":
        school = knowledge.provider(record_id)
        return _at(school.name, school.campus, school.municipality) if school else record_id
    raise ValueError(f"unknown kind {kind!r}")
