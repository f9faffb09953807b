"""Place lookup, distances, nearby visits and the by-field queries."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.knowledge.geo import haversine_km
from bot.knowledge.queries import (
    companies_for,
    find_place,
    fold,
    nearest_visits,
    professions_for,
    programmes_for,
    visits_near,
)
from bot.knowledge.schema import KnowledgeBase, Localized, Place, Visit

TODAY = dt.date(2026, 11, 25)

SOURCE = "https://www.geonames.org/"


@pytest.mark.parametrize(("query", "expected"), [
    ("goteborg", "goteborg"), ("Göteborg", "goteborg"), ("GOTEBORG", "goteborg"),
    ("gotebrog", "goteborg"), ("Gothenburg", "goteborg"), ("Åbo", "turku"), ("abo", "turku"),
    ("kobenhavn", "kobenhavn"), ("Köpenhamn", "kobenhavn"), ("Copenhagen", "kobenhavn"),
    ("umea", "umea"), ("Turussa", "turku"), ("Turusta", "turku"), ("Porissa", "pori"),
    ("Helsingissä", "helsinki"), ("Raumalla", "rauma"), ("Björneborg", "pori"),
    ("Nystad", "uusikaupunki"), ("Reso", "raisio"), ("jag bor i umea", "umea"),
])
def test_find_place(kb: KnowledgeBase, query: str, expected: str) -> None:
    place = find_place(query, kb)
    assert place is not None and place.id == expected


@pytest.mark.parametrize("query", ["", "a", "xyzzy", "asdfgh", "talossa", "hello world", "123"])
def test_find_place_rejects_garbage(kb: KnowledgeBase, query: str) -> None:
    assert find_place(query, kb) is None


def test_fold() -> None:
    assert fold("  Sønderborg ") == "sonderborg"
    assert fold("Ærø") == "aero"
    assert fold("Helsingissä!") == "helsingissa"


def test_haversine_known_distances() -> None:
    goteborg, stockholm = (57.70716, 11.96679), (59.32938, 18.06871)
    turku, helsinki = (60.45148, 22.26869), (60.16952, 24.93545)
    assert haversine_km(goteborg, stockholm) == pytest.approx(398, abs=3)
    assert haversine_km(turku, helsinki) == pytest.approx(150, abs=3)
    assert haversine_km(turku, turku) == 0
    assert haversine_km(goteborg, stockholm) == pytest.approx(haversine_km(stockholm, goteborg))


def _tiny_kb(kb: KnowledgeBase) -> KnowledgeBase:
    """Three places on a line and four visits (one of them over), built in code."""
    text = Localized(sv="x", fi="x", da="x")
    places = [Place(id=i, name=n, country="FI", region="r", lat=60.0, lon=lon, source=SOURCE)
              for i, n, lon in (("a", "Aaa", 22.0), ("b", "Bbb", 23.0), ("c", "Ccc", 26.0))]

    def visit(vid: str, place: str, **when: object) -> Visit:
        return Visit(id=vid, title=text, host="h", place=place, target_group="both",
                     signup=text, fields=["it"], source=SOURCE, sample=True, **when)

    visits = [visit("past", "a", date=dt.date(2026, 10, 1)),
              visit("b_late", "b", date=dt.date(2027, 5, 1)),
              visit("b_soon", "b", date=dt.date(2027, 1, 10)),
              visit("a_monthly", "a", months=[3], period=text),
              visit("c_far", "c", date=dt.date(2026, 12, 1))]
    return KnowledgeBase(fields=kb.fields, programmes=[], professions=[], places=places,
                         companies=[], visits=visits, synonyms=[])


def test_visits_near_sorted_by_distance_then_date_upcoming_only(kb: KnowledgeBase) -> None:
    tiny = _tiny_kb(kb)
    hits = visits_near(tiny.place("a"), radius_km=100, today=TODAY, kb=tiny, limit=None)  # type: ignore[arg-type]
    assert [h.visit.id for h in hits] == ["a_monthly", "b_soon", "b_late"]
    assert hits[0].next_date == dt.date(2027, 3, 1)
    assert hits[1].distance_km == pytest.approx(55.6, abs=1)


def test_nearest_visits_ignores_radius(kb: KnowledgeBase) -> None:
    tiny = _tiny_kb(kb)
    assert visits_near("Ccc", radius_km=50, today=TODAY, kb=tiny) == [
        h for h in nearest_visits("Ccc", today=TODAY, kb=tiny) if h.distance_km <= 50]
    far = nearest_visits("Aaa", today=dt.date(2027, 4, 1), kb=tiny, limit=10)
    assert [h.visit.id for h in far] == ["a_monthly", "b_late"]  # in April, March is next year
    assert far[0].next_date == dt.date(2028, 3, 1)


def test_visits_near_in_shipped_data(kb: KnowledgeBase) -> None:
    hits = visits_near("Salo", today=TODAY, kb=kb)
    assert hits and all(h.distance_km <= 100 for h in hits)
    assert hits == sorted(hits, key=lambda h: (round(h.distance_km, 1), h.next_date, h.visit.id))
    assert visits_near("Storuman", radius_km=50, today=TODAY, kb=kb) == []
    assert nearest_visits("Storuman", today=TODAY, kb=kb, limit=1)
    year8 = visits_near("Göteborg", today=TODAY, kb=kb, target_group="year8", limit=None)
    assert year8 and all(h.visit.target_group in ("year8", "both") for h in year8)


def test_next_occurrence() -> None:
    text = Localized(sv="x", fi="x", da="x")
    base = dict(id="v", title=text, host="h", place="p", target_group="both", signup=text,
                fields=["it"], source=SOURCE)
    monthly = Visit(**base, months=[2, 11], period=text)  # type: ignore[arg-type]
    assert monthly.next_occurrence(dt.date(2026, 11, 25)) == dt.date(2026, 11, 25)
    assert monthly.next_occurrence(dt.date(2026, 12, 5)) == dt.date(2027, 2, 1)
    dated = Visit(**base, date=dt.date(2027, 1, 1))  # type: ignore[arg-type]
    assert dated.next_occurrence(dt.date(2027, 1, 1)) == dt.date(2027, 1, 1)
    assert dated.next_occurrence(dt.date(2027, 1, 2)) is None


def test_by_field_queries(kb: KnowledgeBase) -> None:
    dk_vehicles = programmes_for("vehicles", "DK", kb=kb)
    assert dk_vehicles and all(p.country == "DK" and "vehicles" in p.fields for p in dk_vehicles)
    assert {p.country for p in programmes_for(["it", "engineering"], kb=kb)} == {"SE", "FI", "DK"}
    fi_it = professions_for("it", "FI", kb=kb)
    assert "software_developer" in {p.id for p in fi_it}
    companies = companies_for("process_chemistry", "SE", kb=kb)
    assert "borealis_stenungsund" in {c.id for c in companies}
    assert all(kb.place(c.municipality).country == "SE" for c in companies)  # type: ignore[union-attr]
