"""The shipped data validates and meets the agreed minimum sizes."""

from __future__ import annotations

import datetime as dt

from typer.testing import CliRunner

from bot.knowledge.cli import app, country_counts
from bot.knowledge.schema import KnowledgeBase

TODAY = dt.date(2026, 11, 25)


def test_validate_cli_passes() -> None:
    result = CliRunner().invoke(app, ["validate"])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output


def test_stats_cli_runs() -> None:
    result = CliRunner().invoke(app, ["stats"])
    assert result.exit_code == 0, result.output
    assert "programmes" in result.output


def test_field_ids_are_exactly_the_agreed_ones(kb: KnowledgeBase) -> None:
    assert [f.id for f in kb.fields] == [
        "vehicles", "electrical", "automation", "manufacturing", "construction",
        "hvac_property", "it", "process_chemistry", "engineering"]


def test_minimum_counts(kb: KnowledgeBase) -> None:
    counts = country_counts(kb)
    for country in ("SE", "FI", "DK"):
        assert counts["programmes"][country] >= 8
        assert counts["companies"][country] >= 15
    assert len(kb.professions) >= 40
    assert len(kb.places) >= 40
    assert len(kb.companies) >= 45
    assert len(kb.visits) >= 30


def test_every_field_has_programmes_in_every_country(kb: KnowledgeBase) -> None:
    for field in kb.fields:
        countries = {p.country for p in kb.programmes if field.id in p.fields}
        assert countries == {"SE", "FI", "DK"}, field.id


def test_invented_dates_and_capacities_are_flagged(kb: KnowledgeBase) -> None:
    for visit in kb.visits:
        if visit.date is not None or visit.capacity is not None:
            assert visit.sample, visit.id
        if visit.date is not None:
            assert dt.date(2026, 12, 1) <= visit.date <= dt.date(2027, 6, 30), visit.id


def test_no_name_points_to_two_places(kb: KnowledgeBase) -> None:
    from bot.knowledge.queries import fold

    owners: dict[str, set[str]] = {}
    for place in kb.places:
        for name in (place.name, *place.aliases):
            owners.setdefault(fold(name), set()).add(place.id)
    assert [n for n, ids in owners.items() if len(ids) > 1] == []


def test_synonyms_cover_every_field_with_25_words(kb: KnowledgeBase) -> None:
    assert {s.field for s in kb.synonyms} == {f.id for f in kb.fields}
    for row in kb.synonyms:
        for lang in ("sv", "fi", "da"):
            assert len(getattr(row, lang)) >= 25, (row.field, lang)


def test_programme_and_profession_links_agree(kb: KnowledgeBase) -> None:
    for prog in kb.programmes:
        for prof_id in prog.professions:
            assert prog.id in kb.profession(prof_id).programmes  # type: ignore[union-attr]


def test_bankrupt_northvolt_is_not_listed(kb: KnowledgeBase) -> None:
    assert not [c for c in kb.companies if "northvolt" in c.id]
