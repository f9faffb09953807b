"""Turns knowledge-base hits into what the actions send: list lines, buttons and the `custom`
payload that the widget renders as cards.

Payload: {"type": "suggestions", "language": "sv", "items": [{"kind": "programme|profession|
company|visit", "id", "title", "fields", "municipality", "distance_km", "date", "when",
"site", "providers", "sample"}]}. A visit has `date` only when it is a dated event, else `when`
(the recurring period, in words); a programme lists its nearest `providers` (schools).
"""

from __future__ import annotations

import json
from typing import Any

from bot.cards import SchoolItem, Suggestions
from bot.cards import SuggestionItem as Item
from bot.knowledge.loader import load_knowledge
from bot.knowledge.queries import ProviderHit, VisitHit, place_by_id, providers_for
from bot.knowledge.schema import Guidance, Place
from bot.labels import COUNTRY_OF_LANGUAGE, label, labels
from bot.matching import NEAR_KM, CompanyMatch, MatchResult, ProfessionMatch, ProgrammeMatch
from bot.settings import language_or_default
from bot.text import fold


def format_date(day: Any, language: str) -> str:
    """2026-11-19 in Swedish, 19.11.2026 in Finnish and Danish."""
    return day.isoformat() if language == "sv" else day.strftime("%d.%m.%Y").lstrip("0")


def visit_item(hit: VisitHit, language: str) -> Item:
    """A dated event carries its `date`; a recurring one only `when`, in words, so no card
    shows a made-up day."""
    visit = hit.visit
    return Item(
        kind="visit", id=visit.id, title=visit.title.get(language),
        fields=list(visit.fields), municipality=hit.place.name,
        distance_km=_rounded(hit.distance_km),
        date=visit.date.isoformat() if visit.date else None,
        when=visit.period.get(language) if visit.date is None and visit.period else None,
        sample=visit.sample,
    )


def visit_line(hit: VisitHit, language: str) -> str:
    """"• Industrinatten – Göteborg, 12 km, brukar vara en vecka i november … (exempel)"."""
    visit = hit.visit
    if visit.date is not None:
        when = format_date(visit.date, language)
    else:
        when = visit.period.get(language) if visit.period else ""
    line = f"• {visit.title.get(language)} – {hit.place.name}{_km(hit.distance_km)}, {when}"
    return f"{line} ({label('sample', language)})" if visit.sample else line


def visit_button(hit: VisitHit, language: str) -> dict[str, str]:
    """A quick reply that signs up for this visit without typing its id."""
    title = hit.visit.title.get(language)
    entity = json.dumps({"visit_id": hit.visit.id})
    return {"title": title[:60], "payload": f"/request_visit{entity}"}


def payload(items: list[Item], language: str) -> dict[str, Any]:
    return Suggestions(language=language, items=items).model_dump(exclude_none=True)


def join(names: list[str], language: str) -> str:
    """"A, B och C" / "A, B ja C" / "A, B og C"; a placeholder when there is nothing."""
    if not names:
        return label("none", language)
    if len(names) == 1:
        return names[0]
    return f"{', '.join(names[:-1])} {label('and', language)} {names[-1]}"


SHOWN = 3
SHOWN_ON_REQUEST = 5  # a follow-up question about one kind gets a longer list of it
FAR_KM = 100  # beyond this, the answer says plainly how far the nearest one is
PROVIDERS_SHOWN = 3  # schools on a programme card


def country_for(place: Place | None, language: str) -> str:
    """The place's country; without a place, the country where the language is spoken."""
    return place.country if place else COUNTRY_OF_LANGUAGE[language_or_default(language)]


def interest_text(events: list[dict[str, Any]], interests: list[str] | None) -> str:
    """Everything the user said about their interests so far, for the matcher."""
    said = [
        event.get("text") or ""
        for event in events
        if event.get("event") == "user"
        and (event.get("parse_data") or {}).get("intent", {}).get("name") == "tell_interest"
    ]
    return " ".join([*said, *(interests or [])]).strip()


def _town(place_id: str) -> str:
    place = place_by_id(place_id)
    return place.name if place else place_id


def company_name(company: CompanyMatch) -> str:
    """"Danfoss, Nordborg": the company and its works; the town is said apart."""
    return f"{company.name}, {company.site}" if company.site else company.name


def _company_label(company: CompanyMatch) -> str:
    """"Danfoss, Nordborg (Sønderborg)", "Komatsu Forest (Umeå)": one pair of brackets."""
    return f"{company_name(company)} ({_town(company.municipality)})"


def nearby_companies(result: MatchResult) -> list[CompanyMatch]:
    """Up to three companies, nearest first; far ones only when fewer than two are near."""
    near = [c for c in result.companies if c.distance_km is None or c.distance_km <= NEAR_KM]
    chosen = near if len(near) >= 2 else result.companies[:2]
    return chosen[:SHOWN]


def match_items(result: MatchResult, place: Place | None = None) -> list[Item]:
    """Cards for the top programmes (with the schools near `place`), professions and
    companies, each with its reason."""
    return (programme_items(result.programmes[:SHOWN], place)
            + profession_items(result.professions[:SHOWN])
            + company_items(nearby_companies(result)))


def match_summary(result: MatchResult, language: str) -> dict[str, str]:
    """The variables of `utter_matches`: the main reason and the three name lists."""
    reason = result.fields[0].reason if result.fields else ""
    return {
        "reason": reason[:1].upper() + reason[1:],
        "programmes": join([p.name for p in result.programmes[:SHOWN]], language),
        "professions": join([p.title for p in result.professions[:SHOWN]], language),
        "companies": join([_company_label(c) for c in nearby_companies(result)], language),
    }


# --- where to study ------------------------------------------------------------------------

def search_service(country: str) -> Guidance | None:
    """The country's national search service for programmes and schools."""
    return next((g for g in load_knowledge().guidance
                 if g.country == country and g.topic == "find_school"), None)


def school_name(hit: ProviderHit) -> str:
    """"Novida, Liedon kampus", but "WinNova" where the campus is only the town's name (the
    town is said next to it)."""
    provider = hit.provider
    if provider.campus and fold(hit.place.name) not in fold(provider.campus):
        return f"{provider.name}, {provider.campus}"
    return provider.name


def _km_text(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}"


def study_near(result: MatchResult, place: Place | None,
               language: str) -> tuple[str, dict[str, str]] | None:
    """The response that says where to study: the first shown programme taught within
    FAR_KM of `place`, at its nearest school; else that none is known, with the national
    search service. None without a place or a programme."""
    shown = result.programmes[:SHOWN]
    if place is None or not shown:
        return None
    nearest = [(hits[0], programme) for programme in shown
               if (hits := providers_for(programme.id, place, 1))
               and hits[0].distance_km is not None and hits[0].distance_km <= FAR_KM]
    if nearest:  # the nearest school of any programme shown; ties go to the better match
        hit, programme = min(nearest, key=lambda pair: pair[0].distance_km or 0.0)
        return "utter_study_near", {
            "programme": programme.name, "school": school_name(hit),
            "town": hit.place.name, "km": _km_text(hit.distance_km)}
    service = search_service(place.country)
    return "utter_no_school_near", {
        "programme": shown[0].name, "km": str(FAR_KM),
        "service": service.name if service else "", "link": service.link or "" if service else ""}



# --- answers to follow-up questions: one kind, with a line on each ------------------------

def field_names(result: MatchResult, language: str) -> str:
    """The top fields' labels, lower-case, joined: "fordon och tillverkning"."""
    kb = load_knowledge()
    names = [f.label.get(language).lower() for match in result.fields[:2]
             if (f := kb.field(match.id))]
    return join(names, language)


def _km(value: float | None) -> str:
    return "" if value is None else f", {value:.0f} km"


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def company_lines(companies: list[CompanyMatch]) -> str:
    """"• Volvo Cars, Torslanda – Göteborg, 12 km", in the matcher's order (fit, then
    distance)."""
    return "\n".join(f"• {company_name(c)} – {_town(c.municipality)}{_km(c.distance_km)}"
                     for c in companies)


def _where_taught(programme: str, place: Place | None, language: str) -> str:
    """"närmast: Alströmergymnasiet i Alingsås, 0 km", or that none is known within FAR_KM."""
    if place is None:
        return ""
    hits = providers_for(programme, place, 1)
    if hits and hits[0].distance_km is not None and hits[0].distance_km <= FAR_KM:
        return label("nearest_school", language).format(
            school=school_name(hits[0]), town=hits[0].place.name,
            km=_km_text(hits[0].distance_km))
    return label("no_school_near", language).format(km=FAR_KM)


def programme_lines(programmes: list[ProgrammeMatch], language: str,
                    place: Place | None = None) -> str:
    """"• Fordons- och transportprogrammet: godkänt i svenska, … – närmast: Alströmer-
    gymnasiet i Alingsås, 0 km" (what it takes to get in, and where), then the country's
    search service for every school."""
    kb = load_knowledge()
    entry = labels()["entry"]
    lines = []
    for match in programmes:
        programme = kb.programme(match.id)
        need = entry.get(match.country, {}).get(programme.level, {}) if programme else {}
        line = f"• {match.name}"
        line = f"{line}: {need.get(language, need.get('sv'))}" if need else line
        where = _where_taught(match.id, place, language)
        lines.append(f"{line} – {where}" if where else line)
    country = place.country if place else (programmes[0].country if programmes else None)
    service = search_service(country) if country else None
    if service is not None and service.link:
        lines.append(label("all_schools", language).format(service=service.name,
                                                           link=service.link))
    return "\n".join(lines)


def profession_lines(professions: list[ProfessionMatch], language: str) -> str:
    """"• Bilmekaniker – Du lagar bilar …" (one line on what the job is)."""
    kb = load_knowledge()
    lines = []
    for match in professions:
        profession = kb.profession(match.id)
        about = profession.description.get(language) if profession else ""
        lines.append(f"• {match.title} – {about}" if about else f"• {match.title}")
    return "\n".join(lines)


def company_items(companies: list[CompanyMatch]) -> list[Item]:
    return [Item(kind="company", id=c.id, title=c.name, site=c.site, fields=list(c.fields),
                 municipality=_town(c.municipality),
                 distance_km=_rounded(c.distance_km), reason=c.reason) for c in companies]


def provider_item(hit: ProviderHit) -> SchoolItem:
    provider = hit.provider
    return SchoolItem(id=provider.id, name=provider.name, campus=provider.campus,
                        kind=provider.kind, municipality=hit.place.name,
                        distance_km=_rounded(hit.distance_km), website=provider.website)


def programme_items(programmes: list[ProgrammeMatch], place: Place | None = None) -> list[Item]:
    """Programme cards; with a place, each lists its nearest schools (up to three)."""
    return [Item(kind="programme", id=p.id, title=p.name, fields=list(p.fields), reason=p.reason,
                 providers=[provider_item(h) for h in providers_for(p.id, place, PROVIDERS_SHOWN)]
                 if place is not None else None)
            for p in programmes]


def profession_items(professions: list[ProfessionMatch]) -> list[Item]:
    return [Item(kind="profession", id=p.id, title=p.title, fields=list(p.fields),
                 reason=p.reason) for p in professions]


def far_away(result: MatchResult, place: Place | None) -> dict[str, str] | None:
    """The variables of `utter_far_away` when even the nearest company is over FAR_KM away."""
    near = [c for c in result.companies if c.distance_km is not None]
    if place is None or not near:
        return None
    first = min(near, key=lambda c: (c.distance_km or 0.0, c.id))
    if first.distance_km is None or first.distance_km <= FAR_KM:
        return None
    return {"company": company_name(first), "town": _town(first.municipality),
            "km": f"{first.distance_km:.0f}", "place": place.name}
