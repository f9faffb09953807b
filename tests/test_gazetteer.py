"""Places from the gazetteer: inflected towns, every Nordic town, never a sentence's first word,
and a foreign country never the user's place."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.gazetteer import GAZETTEER_FILE, finnish_forms, load_gazetteer
from bot.settings import ROOT


def places(text: str) -> list[tuple[str, str]]:
    return [(span.entity, span.value) for span in load_gazetteer().find(text)]


@pytest.mark.parametrize(("text", "expected"), [
    # the examples of issue 12
    ("Jag vill laga maskiner i en fabrik", []),
    ("Vilka företag finns det i närheten?", []),
    ("I Irak jag jobbade med svets", [("origin", "IQ")]),
    ("Olin sähkömies Irakissa", [("origin", "IQ")]),
    ("I Polen jeg satte stikkontakter op", [("origin", "PL")]),
    ("Hej. Jag bor i Vännäs.", [("location", "vannas")]),
    ("jag bor i Stockholm och gillar robotar", [("location", "stockholm")]),
    ("asun Tampereella ja tykkään autoista", [("location", "tampere")]),
    ("jeg bor i Aabenraa og kan lide at svejse", [("location", "aabenraa")]),
    ("mitä yrityksiä porissa on?", [("location", "pori")]),
    ("hej! jag går i 8an i Stenungsund och är bra på kemi", [("location", "stenungsund")]),
    ("hvad er en EUX?", []),
    ("Hur länge är utbildningen?", []),
    ("Jag vill prata med en människa", []),
    # Finnish cases, Swedish and Danish genitives and compounds, exonyms, missing dots
    ("Uudessakaupungissa", [("location", "uusikaupunki")]),
    ("oon Raumalta", [("location", "rauma")]),
    ("muutan Poriin", [("location", "pori")]),
    ("Turun ammattiopisto", [("location", "turku")]),
    ("Helsingissä", [("location", "helsinki")]),
    ("Göteborgs hamn", [("location", "goteborg")]),
    ("någonstans i umeåtrakten", [("location", "umea")]),
    ("Odenses havn", [("location", "odense")]),
    ("i kobenhavn", [("location", "kobenhavn")]),
    ("jag bor i vannas", [("location", "vannas")]),
    ("asun Uumajassa", [("location", "umea")]),
    ("Lilla Edet", [("location", "lilla_edet")]),
    # common words that are also towns count only with a cue
    ("jag är bra på kemi", []),
    ("jag gillar kemi", []),
    ("jag bor i Kemi", [("location", "kemi")]),
    ("vi ska vara där", []),
    ("jag bor i Vara", [("location", "vara")]),
    ("Vara", [("location", "vara")]),
    ("jeg vil gerne give en hånd", []),
    ("oon kasilla", []),
])
def test_places_in_messages(text: str, expected: list[tuple[str, str]]) -> None:
    assert places(text) == expected


def test_every_nordic_town_of_a_thousand_is_known_with_coordinates() -> None:
    towns = load_gazetteer().towns.values()
    by_country = {c: sum(t.country == c for t in towns) for c in ("SE", "FI", "DK")}
    assert min(by_country.values()) > 400, by_country
    assert all(-90 <= t.lat <= 90 and -180 <= t.lon <= 180 for t in towns)
    for name in ("Stockholm", "Malmö", "Kiruna", "Tampere", "Oulu", "Rovaniemi", "Aabenraa",
                 "Næstved", "Thisted"):
        assert load_gazetteer().lookup(name) is not None, name


def test_finnish_forms_follow_gradation() -> None:
    assert {"turussa", "turusta", "turkuun", "turun"} <= finnish_forms("turku")
    assert {"lahdessa", "lahden"} <= finnish_forms("lahti")
    assert {"tampereella", "tampereen"} <= finnish_forms("tampere")
    assert {"goteborgissa", "goteborgiin"} <= finnish_forms("goteborg")


def _examples(path: Path) -> list[tuple[str, list[tuple[int, int, str]]]]:
    """(plain text, [(start, end, entity)]) for every example of a Rasa NLU file."""
    out = []
    annotated = re.compile(r"\[([^\]]+)\](?:\((\w+)(?::[^)]*)?\)|\{\"entity\": \"(\w+)\"[^}]*\})")
    for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
        for line in (block.get("examples") or "").splitlines():
            raw = line.strip()[2:].strip() if line.strip().startswith("- ") else ""
            if not raw:
                continue
            text, spans, pos = "", [], 0
            for match in annotated.finditer(raw):
                text += raw[pos:match.start()]
                spans.append((len(text), len(text) + len(match.group(1)),
                              match.group(2) or match.group(3)))
                text += match.group(1)
                pos = match.end()
            out.append((text + raw[pos:], spans))
    return out


HELD_OUT = sorted((ROOT / "tests" / "nlu").glob("*.yml"))


@pytest.mark.parametrize("path", HELD_OUT, ids=[p.stem for p in HELD_OUT])
def test_no_sentence_initial_word_is_taken_for_a_place(path: Path) -> None:
    wrong = []
    for text, spans in _examples(path):
        gold = {(s, e) for s, e, entity in spans if entity == "location"}
        for span in load_gazetteer().find(text):
            first = not text[:span.start].strip()
            if span.entity == "location" and first and (span.start, span.end) not in gold:
                wrong.append(f"{text!r}: {span.text!r}")
    assert not wrong, "sentence-initial words taken for places:\n" + "\n".join(wrong)


@pytest.mark.parametrize("path", HELD_OUT, ids=[p.stem for p in HELD_OUT])
def test_held_out_places_are_found(path: Path) -> None:
    """Location recall and precision on the held-out split, per language, at least 0.95."""
    found = gold_n = hit = 0
    misses = []
    for text, spans in _examples(path):
        gold = {(s, e) for s, e, entity in spans if entity == "location"}
        predicted = {(s.start, s.end) for s in load_gazetteer().find(text)
                     if s.entity == "location"}
        gold_n, found, hit = gold_n + len(gold), found + len(predicted), hit + len(gold & predicted)
        misses += [f"{text!r}" for _ in gold ^ predicted]
    precision, recall = hit / max(found, 1), hit / max(gold_n, 1)
    assert precision >= 0.95 and recall >= 0.95, (precision, recall, misses)


def test_shipped_gazetteer_is_up_to_date() -> None:
    from bot.knowledge.build_gazetteer import build, render

    assert GAZETTEER_FILE.read_text(encoding="utf-8") == render(build()), (
        "knowledge/gazetteer.json is stale: run `.venv/bin/python -m bot.knowledge.build_gazetteer`"
    )


@pytest.mark.parametrize(("intent", "text", "interest", "expected"), [
    ("goodbye", "och i Göteborg då?", False, "tell_location"),
    ("nlu_fallback", "mitt barn snickrar, vad finns det för utbildningar i Jönköping?", False,
     "tell_location"),
    ("out_of_scope", "måste sluta nu, hejdå", False, "goodbye"),
    ("tell_location", "farvel, vi gider ikke mere nu", False, "goodbye"),
    ("tell_interest", "jag gillar el, hejdå", True, None),
    ("greet", "moikka", False, None),
    ("help", "en tiiä yhtään mitä haluun tehä", False, "undecided"),
    ("nlu_fallback", "Jeg var elektriker i Polen.", True, "tell_interest"),
    ("ask_companies", "vilka företag finns i Göteborg?", False, None),
])
def test_the_intent_is_read_with_the_places_in_mind(intent: str, text: str, interest: bool,
                                                    expected: str | None) -> None:
    from bot.dialogue import repaired_intent

    assert repaired_intent(intent, text, load_gazetteer().find(text), interest) == expected
