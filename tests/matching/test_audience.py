"""Programmes for who is asking: a year-8 pupil (or a parent asking for their child) is not
offered adult education first (Komvux, Denmark's euv), an adult learner is; on the real
knowledge base."""

from __future__ import annotations

import copy

import pytest

from bot.knowledge.loader import load_knowledge
from bot.matching import Matcher

LEVEL = {p.id: p.level for p in load_knowledge().programmes}
ASKS = [("jag gillar att svetsa", "sv", "SE"), ("gillar bilar o motorer", "sv", "SE"),
        ("vil gerne bliv elektrikker", "da", "DK"), ("jeg vil være tømrer", "da", "DK")]


@pytest.mark.parametrize(("text", "lang", "country"), ASKS)
def test_a_pupil_is_offered_no_adult_education(matcher: Matcher, text: str, lang: str,
                                               country: str) -> None:
    young = matcher.match(text, [], lang, country, audience="young").programmes
    assert young, text
    assert [LEVEL[p.id] for p in young if LEVEL[p.id] == "adult"] == []


@pytest.mark.parametrize(("text", "lang", "country"), ASKS)
def test_an_adult_learner_is_offered_adult_education_first(matcher: Matcher, text: str,
                                                          lang: str, country: str) -> None:
    adult = matcher.match(text, [], lang, country, audience="adult").programmes
    assert LEVEL[adult[0].id] == "adult", [p.name for p in adult]
    # The others are still there, after: an adult may take a youth programme too.
    assert any(LEVEL[p.id] != "adult" for p in adult), [p.name for p in adult]


def test_a_pupil_still_gets_adult_education_when_there_is_nothing_else(
        matcher: Matcher) -> None:
    # The same matcher over a knowledge base whose Swedish programmes are all Komvux: a pupil
    # gets those rather than no programme at all.
    only_adult = copy.copy(matcher)
    only_adult.kb = matcher.kb.model_copy(update={"programmes": [
        p for p in matcher.kb.programmes if p.country != "SE" or p.level == "adult"]})
    young = only_adult.match("jag gillar att svetsa", [], "sv", "SE", audience="young")
    assert young.programmes and {LEVEL[p.id] for p in young.programmes} == {"adult"}


def test_without_an_audience_the_order_is_the_scores(matcher: Matcher) -> None:
    plain = matcher.match("jag gillar att svetsa", [], "sv", "SE").programmes
    assert [p.score for p in plain] == sorted((p.score for p in plain), reverse=True)
