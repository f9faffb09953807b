"""Ranking, reasons and the records derived from the top fields, on the real knowledge base."""

from __future__ import annotations

import pytest

from bot.matching import FIT_STEP_KM, NEAR_KM, Matcher, match_interests


def test_mopeds_rank_vehicles_first(matcher: Matcher) -> None:
    result = matcher.match("jag gillar att skruva på mopeder", ["skruva på mopeder"], "sv", "SE")
    assert result.fields[0].id == "vehicles"


def test_coding_in_spoken_finnish_ranks_it_first(matcher: Matcher) -> None:
    assert matcher.match("mä tykkään koodata", [], "fi", "FI").fields[0].id == "it"


def test_maths_has_engineering_in_top_three(matcher: Matcher) -> None:
    assert "engineering" in matcher.match("jeg er god til matematik", [], "da", "DK").field_ids[:3]


@pytest.mark.parametrize(("text", "lang", "field"), [
    ("mopederna", "sv", "vehicles"),
    ("jag vill bli bilmekaniker", "sv", "vehicles"),
    ("jag söker till fordonsprogrammet", "sv", "vehicles"),
    ("korjaan mopoja", "fi", "vehicles"),
    ("tykkään autoista", "fi", "vehicles"),
    ("opin koodaamaan", "fi", "it"),
    ("jeg skruer på knallerterne", "da", "vehicles"),
])
def test_lexical_layer_handles_inflections_and_compounds(
        matcher: Matcher, text: str, lang: str, field: str) -> None:
    assert matcher.match(text, [], lang, mode="lexical").field_ids[:1] == [field]


@pytest.mark.parametrize(("text", "interests", "lang", "expected"), [
    ("jag gillar mopeder", ["mopeder"], "sv", "du nämnde *mopeder* → Fordon"),
    ("mä korjaan mopoja", ["mopoja"], "fi", "mainitsit *mopoja* → Ajoneuvot"),
    ("jeg kan lide knallerter", ["knallerter"], "da", "du nævnte *knallerter* → Køretøjer"),
])
def test_reason_is_in_the_users_language_and_names_the_word(
        matcher: Matcher, text: str, interests: list[str], lang: str, expected: str) -> None:
    result = matcher.match(text, interests, lang)
    assert result.fields[0].reason == expected
    assert result.programmes and result.programmes[0].reason == expected


def test_reason_without_a_known_word_is_semantic_and_localised(matcher: Matcher) -> None:
    field = matcher.match("jeg hjælper min far i garagen", [], "da", "DK").fields[0]
    assert field.reason.startswith("det du skrev ligner ")


@pytest.mark.parametrize("country", ["SE", "FI", "DK"])
def test_programmes_are_only_of_the_given_country(matcher: Matcher, country: str) -> None:
    result = matcher.match("jag vill svetsa och programmera robotar", [], "sv", country, limit=50)
    assert result.programmes
    assert {p.country for p in result.programmes} == {country}
    assert set(result.programmes[0].fields) & {"manufacturing", "automation"}


def test_companies_near_the_place_come_by_distance_plus_fit(matcher: Matcher) -> None:
    """Each step of fit weighs FIT_STEP_KM: a near welding firm beats a far one, and a firm in
    another field must be that much nearer to come first."""
    result = matcher.match("kemia ja hitsaus kiinnostaa", [], "fi", place="pori", limit=50)
    assert result.country == "FI"
    keys = [(c.distance_km is None or c.distance_km > NEAR_KM,
             (c.distance_km or 0) + FIT_STEP_KM * c.fit, c.fit, c.distance_km)
            for c in result.companies]
    assert len(keys) >= 2 and None not in [k[3] for k in keys]
    assert [k[:2] for k in keys] == sorted(k[:2] for k in keys)  # type: ignore[type-var]
    # Welding employers (fit 0) and firms that fit less (a top job, the main field or another
    # field; which of these the top jobs make depends on the semantic model) are both here.
    assert 0 in {k[2] for k in keys} and len({k[2] for k in keys}) >= 2
    assert result.companies[0].fit == 0 and result.companies[0].distance_km < 60


def test_companies_without_place_have_no_distance(matcher: Matcher) -> None:
    result = matcher.match("jag vill svetsa", [], "sv", "SE")
    assert result.companies and all(c.distance_km is None for c in result.companies)


def test_named_job_comes_first_with_its_own_reason(matcher: Matcher) -> None:
    result = matcher.match("i mitt land jag var svetsare", [], "sv", "SE")
    assert result.professions[0].id == "welder"
    assert result.professions[0].reason == "du nämnde *svetsare* → Svetsare"


def test_modes_switch_the_layers(matcher: Matcher) -> None:
    text = "jeg hjælper min far i garagen"
    assert matcher.match(text, [], "da", mode="lexical").fields == []
    semantic = matcher.match(text, [], "da", mode="semantic").fields
    assert len(semantic) == 9 and all(f.lexical == 0 for f in semantic)


def test_module_level_helper_reuses_the_cached_matcher(matcher: Matcher) -> None:
    result = match_interests("mä tykkään koodata", lang="fi", country="FI")
    assert result.fields[0].id == "it"


@pytest.mark.parametrize("text", ["", "   ", "🎮🎮 !!"])
def test_text_without_words_matches_nothing(matcher: Matcher, text: str) -> None:
    result = matcher.match(text, [], "sv", "SE")
    assert result.fields == [] and result.programmes == [] and result.companies == []
