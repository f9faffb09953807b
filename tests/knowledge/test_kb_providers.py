"""Schools and colleges (providers), company links, public sources, codes and visit times in
the shipped knowledge base."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.knowledge.cli import app, code_coverage, country_counts, provider_regions
from bot.knowledge.loader import KnowledgeError, load_knowledge
from bot.knowledge.queries import provider_point, providers_for
from bot.knowledge.schema import KnowledgeBase, check_public_source

# The seed regions: Göteborgsregionen's 13 municipalities, Västerbotten, Varsinais-Suomi,
# Satakunta and Helsinki, and Denmark (Teknologipagten is national).
GOTEBORGSREGIONEN = {"ale", "alingsas", "goteborg", "harryda", "kungsbacka", "kungalv", "lerum",
                     "lilla_edet", "molndal", "partille", "stenungsund", "tjorn", "ockero"}
REGIONS = {"Västerbottens län": "SE", "Varsinais-Suomi": "FI", "Satakunta": "FI"}
# (region, field) with no verified provider within 60 km: knowledge/README.md lists each.
KNOWN_GAPS = {("Satakunta", "it"), ("Satakunta", "process_chemistry")}
NEAR = 60.0


def seed_regions(kb: KnowledgeBase) -> dict[str, list[str]]:
    """Region name -> the knowledge base's place ids in it."""
    regions: dict[str, list[str]] = {"Göteborgsregionen": sorted(GOTEBORGSREGIONEN),
                                     "Helsinki": ["helsinki"]}
    for place in kb.places:
        if REGIONS.get(place.region) == place.country:
            regions.setdefault(place.region, []).append(place.id)
        if place.country == "DK":
            regions.setdefault("Danmark", []).append(place.id)
    return regions


def test_at_least_80_providers_in_all_three_countries(kb: KnowledgeBase) -> None:
    counts = country_counts(kb)["providers"]
    assert sum(counts.values()) >= 80
    assert all(counts[c] >= 20 for c in ("SE", "FI", "DK")), counts
    regions = provider_regions(kb)
    for region in ("Västra Götalands län", "Västerbottens län", "Varsinais-Suomi", "Satakunta",
                   "Uusimaa", "Region Syddanmark", "Region Midtjylland", "Region Hovedstaden"):
        assert any(r == region for _, r in regions), region


def test_stats_shows_providers_per_country_and_region_and_code_coverage() -> None:
    result = CliRunner().invoke(app, ["stats"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert re.search(r"providers\s*│\s*\d{2,}", result.output), result.output
    assert "Satakunta" in result.output and "Västerbottens län" in result.output
    assert "Official programme codes" in result.output


def test_official_codes_where_they_exist(kb: KnowledgeBase) -> None:
    coverage = code_coverage(kb)
    # Every Swedish national programme and every Finnish tutkinto with a code has it; Komvux,
    # the engineering degree and (see README) most Danish EUD numbers have none we can cite.
    for programme in kb.programmes:
        if programme.country == "SE" and programme.level.startswith("upper_secondary"):
            assert programme.code and re.fullmatch(r"[A-Z]{2}", programme.code), programme.id
        if programme.country == "FI" and programme.level == "upper_secondary_vocational":
            assert programme.code and re.fullmatch(r"\d{6}", programme.code), programme.id
    assert coverage["FI"][0] >= 14


def test_every_provider_is_in_a_known_place_and_offers_a_known_programme(
        kb: KnowledgeBase) -> None:
    for provider in kb.providers:
        place = kb.place(provider.municipality)
        assert place is not None, provider.id
        assert all(kb.programme(p) for p in provider.programmes), provider.id
        # the programmes are those of the provider's own country
        assert {kb.programme(p).country for p in provider.programmes} == {place.country}, \
            provider.id
        assert provider.website.startswith(("http://", "https://"))
        lat, lon = provider_point(provider, kb)
        assert abs(lat - place.lat) < 1.0 and abs(lon - place.lon) < 1.5, provider.id


def test_each_seed_region_has_a_provider_within_60_km_for_each_field(
        kb: KnowledgeBase) -> None:
    missing = set()
    for region, places in seed_regions(kb).items():
        for field in kb.fields:
            best = min((hit.distance_km or 0.0
                        for place_id in places
                        for programme in kb.programmes if field.id in programme.fields
                        for hit in providers_for(programme.id, kb.place(place_id), 1, kb)),
                       default=None)
            if best is None or best > NEAR:
                missing.add((region, field.id))
    assert missing == KNOWN_GAPS


def test_providers_come_nearest_first() -> None:
    kb = load_knowledge()
    alingsas = kb.place("alingsas")
    hits = providers_for("se_te", alingsas, None, kb)
    assert hits[0].provider.municipality == "alingsas" and hits[0].distance_km == 0.0
    distances = [h.distance_km for h in hits]
    assert distances == sorted(distances)  # type: ignore[type-var]
    assert len(providers_for("se_te", alingsas, 3, kb)) == 3


# --- public sources ---------------------------------------------------------------------------

@pytest.mark.parametrize("source", [
    "shared/domain/03_programmes_se.md",
    "https://www.ug.dk/; shared/domain/05_programmes_dk.md (deadline)",
    "Live (ESR 2018–2020): https://koulutustakuu.fi/live-lisaa-vetovoimaa/; seeds/003",
    "sample data (Vägvisaren team); host: https://sv.wikipedia.org/wiki/SKF",
    "hand-kept notes",
])
def test_team_notes_are_not_sources(source: str) -> None:
    with pytest.raises(ValueError):
        check_public_source(source)


def test_public_urls_are_sources() -> None:
    for source in ("https://www.skolverket.se/ (program)", "host: https://trap.lex.dk/LEGO; "
                   "date and capacity invented for the demo (sample)",
                   "https://example.fi/shared/domain/x"):
        assert check_public_source(source) == source


def test_a_team_note_source_names_file_and_line(kb_dir: Path) -> None:
    path = kb_dir / "providers.yml"
    lines = path.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("  source:"))
    lines[at] = "  source: shared/domain/03_programmes_se.md"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(kb_dir)
    assert f"providers.yml:{at + 1}: source" in str(err.value)
    assert "team-internal note" in str(err.value)


def test_every_shipped_source_is_public(kb: KnowledgeBase) -> None:
    for entity in ("fields", "programmes", "professions", "places", "companies", "visits",
                   "pay", "guidance", "providers"):
        for record in getattr(kb, entity):
            assert check_public_source(record.source), (entity, record.id)


# --- companies --------------------------------------------------------------------------------

def test_company_names_never_hold_a_site_or_town(kb: KnowledgeBase) -> None:
    for company in kb.companies:
        assert "(" not in company.name and ")" not in company.name, company.id
        town = kb.place(company.municipality)
        assert town is not None and company.site != town.name, company.id
        assert company.links and all(link.basis for link in company.links), company.id


def test_welding_is_named_only_where_the_basis_says_metal_work(kb: KnowledgeBase) -> None:
    welding = [c for c in kb.companies if "welder" in c.professions_in()]
    assert len(welding) >= 8
    for company in welding:
        basis = " ".join(link.basis for link in company.links if "welder" in link.professions)
        assert re.search(r"weld|steel|metal|ship|yard|body|fabricat|monopile|hull|plate",
                         basis, re.I), (company.id, basis)
    lego = kb.company("lego_billund")
    assert lego is not None and "welder" not in lego.professions_in()


def test_company_with_a_bad_link_names_file_and_line(kb_dir: Path) -> None:
    path = kb_dir / "companies.yml"
    text = path.read_text()
    path.write_text(text.replace("    - welder\n", "    - welderz\n", 1))
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(kb_dir)
    line = next(i for i, s in enumerate(path.read_text().splitlines(), 1) if "welderz" in s)
    assert f"companies.yml:{line}:" in str(err.value)
    assert "unknown profession id 'welderz'" in str(err.value)


# --- visits -----------------------------------------------------------------------------------

def test_recurring_visits_say_when_without_a_past_year(kb: KnowledgeBase) -> None:
    this_year = dt.date.today().year
    for visit in kb.visits:
        if visit.date is None:
            assert visit.period is not None, visit.id
            for text in (visit.period.sv, visit.period.fi, visit.period.da):
                years = [int(y) for y in re.findall(r"\b(?:19|20)\d\d\b", text)]
                assert all(y >= this_year for y in years), (visit.id, text)
        else:
            assert visit.sample, visit.id  # every concrete date we hold is a demo date
