"""Turns knowledge-base hits into what the actions send: list lines, buttons and the `custom`
payload that the widget renders as cards.

Payload: {"type": "suggestions", "language": "sv", "items": [{"kind": "programme|profession|
company|visit", "id", "title", "fields", "municipality", "distance_km", "date", "sample"}]}.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel

from bot.knowledge.loader import load_knowledge
from bot.knowledge.queries import VisitHit, place_by_id
from bot.knowledge.schema import Place
from bot.labels import label, labels
from bot.matching import CompanyMatch, MatchResult, ProfessionMatch, ProgrammeMatch

Kind = Literal["programme", "profession", "company", "visit"]


class Item(BaseModel):
    """One suggestion card."""

    kind: Kind
    id: str
    title: str
    fields: list[str] = []
    municipality: str | None = None
    distance_km: float | None = None
    date: str | None = None
    sample: bool = False
    reason: str | None = None


class Payload(BaseModel):
    type: Literal["suggestions"] = "suggestions"
    language: str
    items: list[Item]


def format_date(day: Any, language: str) -> str:
    """2026-11-19 in Swedish, 19.11.2026 in Finnish and Danish."""
    return day.isoformat() if language == "sv" else day.strftime("%d.%m.%Y").lstrip("0")


def visit_item(hit: VisitHit, language: str) -> Item:
    return Item(
        kind="visit", id=hit.visit.id, title=hit.visit.title.get(language),
        fields=list(hit.visit.fields), municipality=hit.place.name,
        distance_km=_rounded(hit.distance_km), date=hit.next_date.isoformat(),
        sample=hit.visit.sample,
    )


def visit_line(hit: VisitHit, language: str) -> str:
    """"• Industrinatten – Göteborg, 12 km, 2026-11-19 (exempel)": sample data says so."""
    visit = hit.visit
    when = visit.period.get(language) if visit.months and visit.period else format_date(
        hit.next_date, language)
    line = f"• {visit.title.get(language)} – {hit.place.name}{_km(hit.distance_km)}, {when}"
    return f"{line} ({label('sample', language)})" if visit.sample else line


def visit_button(hit: VisitHit, language: str) -> dict[str, str]:
    """A quick reply that signs up for this visit without typing its id."""
    title = hit.visit.title.get(language)
    entity = json.dumps({"visit_id": hit.visit.id})
    return {"title": title[:60], "payload": f"/request_visit{entity}"}


def payload(items: list[Item], language: str) -> dict[str, Any]:
    return Payload(language=language, items=items).model_dump(exclude_none=True)


def join(names: list[str], language: str) -> str:
    """"A, B och C" / "A, B ja C" / "A, B og C"; a placeholder when there is nothing."""
    if not names:
        return label("none", language)
    if len(names) == 1:
        return names[0]
    return f"{', '.join(names[:-1])} {label('and', language)} {names[-1]}"


COUNTRY_OF_LANGUAGE = {"sv": "SE", "fi": "FI", "da": "DK"}
SHOWN = 3
SHOWN_ON_REQUEST = 5  # a follow-up question about one kind gets a longer list of it
NEAR_KM = 150  # a company further away is shown only to make up the minimum of two
FAR_KM = 100  # beyond this, the answer says plainly how far the nearest one is


def country_for(place: Place | None, language: str) -> str:
    """The place's country; without a place, the country where the language is spoken."""
    return place.country if place else COUNTRY_OF_LANGUAGE.get(language, "SE")


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


def _company_label(name: str, place_id: str) -> str:
    """"Komatsu Forest (Umeå)", but not "Volvo Lastvagnar (Umeå) (Umeå)"."""
    town = _town(place_id)
    return name if town in name else f"{name} ({town})"


def nearby_companies(result: MatchResult) -> list[CompanyMatch]:
    """Up to three companies, nearest first; far ones only when fewer than two are near."""
    near = [c for c in result.companies if c.distance_km is None or c.distance_km <= NEAR_KM]
    chosen = near if len(near) >= 2 else result.companies[:2]
    return chosen[:SHOWN]


def match_items(result: MatchResult) -> list[Item]:
    """Cards for the top programmes, professions and companies, each with its reason."""
    return (programme_items(result.programmes[:SHOWN])
            + profession_items(result.professions[:SHOWN])
            + company_items(nearby_companies(result)))


def match_summary(result: MatchResult, language: str) -> dict[str, str]:
    """The variables of `utter_matches`: the main reason and the three name lists."""
    reason = result.fields[0].reason if result.fields else ""
    return {
        "reason": reason[:1].upper() + reason[1:],
        "programmes": join([p.name for p in result.programmes[:SHOWN]], language),
        "professions": join([p.title for p in result.professions[:SHOWN]], language),
        "companies": join(
            [_company_label(c.name, c.municipality) for c in nearby_companies(result)], language
        ),
    }


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
    """"• Volvo Cars – Göteborg, 12 km", nearest first."""
    return "\n".join(f"• {c.name} – {_town(c.municipality)}{_km(c.distance_km)}"
                     for c in companies)


def programme_lines(programmes: list[ProgrammeMatch], language: str) -> str:
    """"• Fordons- och transportprogrammet: godkänt i svenska, …" (what it takes to get in)."""
    kb = load_knowledge()
    entry = labels()["entry"]
    lines = []
    for match in programmes:
        programme = kb.programme(match.id)
        need = entry.get(match.country, {}).get(programme.level, {}) if programme else {}
        line = f"• {match.name}"
        lines.append(f"{line}: {need.get(language, need.get('sv'))}" if need else line)
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
    return [Item(kind="company", id=c.id, title=c.name, fields=list(c.fields),
                 municipality=_town(c.municipality),
                 distance_km=_rounded(c.distance_km), reason=c.reason) for c in companies]


def programme_items(programmes: list[ProgrammeMatch]) -> list[Item]:
    return [Item(kind="programme", id=p.id, title=p.name, fields=list(p.fields), reason=p.reason)
            for p in programmes]


def profession_items(professions: list[ProfessionMatch]) -> list[Item]:
    return [Item(kind="profession", id=p.id, title=p.title, fields=list(p.fields),
                 reason=p.reason) for p in professions]


def far_away(result: MatchResult, place: Place | None) -> dict[str, str] | None:
    """The variables of `utter_far_away` when even the nearest company is over FAR_KM away."""
    near = [c for c in result.companies if c.distance_km is not None]
    if place is None or not near or near[0].distance_km <= FAR_KM:  # type: ignore[operator]
        return None
    first = near[0]
    return {"company": first.name, "town": _town(first.municipality),
            "km": f"{first.distance_km:.0f}", "place": place.name}
