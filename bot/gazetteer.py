"""Places in a message, found deterministically from a gazetteer instead of guessed by a tagger.

The gazetteer (`knowledge/gazetteer.json`, written by `python -m bot.knowledge.build_gazetteer`)
holds every knowledge-base place and every Swedish, Finnish and Danish town of GeoNames with at
least 1,000 inhabitants, plus the names of foreign countries and large foreign cities. This
module turns those names into the forms users write (Finnish cases such as "Porissa",
"Turusta", "Tampereella"; genitives and compounds such as "Göteborgs", "Umeåtrakten") and finds
them in a message:

- a Nordic town is a `location` span whose value is the canonical place id;
- a foreign country or city ("Irak", "Syyriassa", "Polen") is an `origin` span: where the user
  comes from, never a place near them;
- a name that is also a common word ("Vara", "Give", "Lund") counts only after a place cue
  ("i", "bor", "från", "asun"…), written capitalised inside a sentence, or as the whole message.

Standard library only: the Rasa process (`bot/rasa_ext/gazetteer.py`) and the action server
both use it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from bot.text import fold

GAZETTEER_FILE = Path(__file__).resolve().parent.parent / "knowledge" / "gazetteer.json"

Kind = Literal["location", "origin"]
VOWELS = "aeiouy"
# Finnish local cases (after folding ä -> a): inessive, elative, adessive, ablative, allative,
# and the genitive, which people use in "Porin seudulla", "Turun ammattikoulu".
FI_CASES = ("ssa", "sta", "lla", "lta", "lle", "n")
# Consonant gradation at the end of a Finnish stem, strong -> weak ("Turku" -> "Turu-ssa",
# "Helsinki" -> "Helsingi-ssä", "Lahti" -> "Lahde-ssa", "Hanko" -> "Hango-ssa").
FI_GRADATION = (("kk", "k"), ("pp", "p"), ("tt", "t"), ("nk", "ng"), ("mp", "mm"),
                ("nt", "nn"), ("lt", "ll"), ("rt", "rr"), ("lk", "l"), ("rk", "r"),
                ("hk", "h"), ("ht", "hd"), ("k", ""), ("t", "d"), ("p", "v"))
# Scandinavian compounds: "Göteborgsområdet", "Umeåtrakten", "Aarhusegnen", "Vejle Kommune".
SCANDI_SUFFIXES = ("omradet", "trakten", "regionen", "kommun", "kommune", "egnen")
# Words that say a place follows ("bor i Vara", "från Lund", "asun Salo", "nær Give"). A name
# that is a common word needs one of STRONG_CUES (or one of WEAK_CUES after one of them:
# "bor i Kemi", "skola i Kemi"); a rarer word ("i Arboga") needs any cue.
STRONG_CUES = frozenset({
    "bor", "bo", "bodde", "boende", "fran", "ifran", "nara", "utanfor", "fra", "naer",
    "omkring", "asun", "asuu", "asumme", "asuin", "kotoisin", "lahella", "near", "from",
    "taet", "tat",
})
# Nouns that cue a place only through a preposition ("skolan i Kemi"): "i skolan bara fyra år"
# is no place.
NOUN_CUES = frozenset({"skola", "skolan", "skole", "skolen", "kommun", "kommune", "kunta",
                       "kaupunki", "byen"})
WEAK_CUES = frozenset({"i", "pa", "till", "vid", "til", "ved"})
CUES = STRONG_CUES | NOUN_CUES | WEAK_CUES
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_SENTENCE_END = re.compile(r"[.!?]\s*$")
MAX_WORDS = 3


@dataclass(frozen=True)
class Town:
    """A place a user can live in: a knowledge-base place or a GeoNames town."""

    id: str
    name: str
    country: str
    lat: float
    lon: float
    population: int
    kb: bool


@dataclass(frozen=True)
class Span:
    """A place found in a message: character offsets, the text as written, kind and value."""

    start: int
    end: int
    text: str
    entity: Kind
    value: str


def finnish_forms(name: str) -> set[str]:
    """Case forms of a folded one-word name, generous on purpose: a form nobody writes costs
    nothing, a missing one loses the user's town."""
    forms = {name}
    last = name[-1]
    stems = {name}
    if name.endswith("nen") and len(name) > 5:  # "Parainen" -> "Paraisilla", "Paraisten"
        stem = name[:-3]
        stems |= {stem + "se", stem + "si"}
        forms |= {stem + "sen", stem + "sten"}
    elif last in VOWELS:
        weak = _weak_grade(name)
        stems.add(weak)
        if last == "i":  # "Lahti" -> "Lahdessa", "Rovaniemi" -> "Rovaniemellä"
            stems |= {name[:-1] + "e", weak[:-1] + "e"}
        if last == "e":  # "Tampere" -> "Tampereella", "Tampereen"
            stems.add(name + "e")
        forms.add(name + last + "n")  # illative: "Poriin", "Turkuun", "Raumaan"
    else:  # "Göteborg" -> "Göteborgissa", "Aarhus" -> "Aarhusissa"
        stems.add(name + "i")
        forms.add(name + "iin")
    forms |= {stem + case for stem in stems for case in FI_CASES}
    return forms


def _weak_grade(name: str) -> str:
    body, vowel = name[:-1], name[-1]
    for strong, weak in FI_GRADATION:
        if body.endswith(strong) and len(body) > len(strong):
            before = body[: -len(strong)]
            if len(strong) == 1 and before[-1:] not in VOWELS + "h":
                continue  # single consonants weaken only after a vowel
            return before + weak + vowel
    return name


def scandinavian_forms(name: str, compounds: bool) -> set[str]:
    """Genitive ("Göteborgs", "Odenses") and, for larger places, compounds."""
    words = name.split()
    forms = {name}
    if not name.endswith(("s", "x", "z")):
        forms.add(name + "s")
    if compounds and len(words) == 1:
        forms |= {f"{name}{joint}{suffix}" for joint in ("", "s") for suffix in SCANDI_SUFFIXES}
        forms |= {f"{name} {suffix}" for suffix in ("kommun", "kommune", "kunta")}
    return forms


def name_forms(name: str, compounds: bool = True) -> set[str]:
    """Every folded form of a place name that the gazetteer matches."""
    folded = fold(name)
    if not folded:
        return set()
    forms = scandinavian_forms(folded, compounds)
    words = folded.split()
    if not any(ch.isdigit() for ch in folded):
        # Finnish cases on the last word ("Lilla Edetissä" is rare, "Ylivieskassa" is not)
        head = " ".join(words[:-1])
        forms |= {f"{head} {form}".strip() for form in finnish_forms(words[-1])}
    return forms


class Gazetteer:
    """The index of folded forms, and the finder over a message's words."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.towns: dict[str, Town] = {}
        self._forms: dict[tuple[str, ...], tuple[Kind, str]] = {}
        self.ambiguous: dict[str, int] = dict(data.get("ambiguous", {}))
        dropped = set(data.get("dropped", []))
        # Foreign names first: a Nordic form is kept only where no foreign name claims it...
        for code, names in data.get("foreign", []):
            for name in names:
                for form in name_forms(name, compounds=False):
                    if form not in dropped:
                        self._forms.setdefault(tuple(form.split()), ("origin", code))
        # ...except knowledge-base places and their hand-kept forms, which always win.
        for row in data["towns"]:
            town = Town(id=row["id"], name=row["name"], country=row["country"],
                        lat=row["lat"], lon=row["lon"], population=row["population"],
                        kb=row.get("kb", False))
            self.towns[town.id] = town
            names = [town.name, *row.get("aliases", [])]
            big = town.kb or town.population >= 10_000
            forms = {f for n in names for f in name_forms(n, compounds=big)}
            forms |= {fold(f) for f in row.get("forms", [])}
            for form in forms - dropped:
                key = tuple(form.split())
                current = self._forms.get(key)
                if current is None or (town.kb and not self._is_kb(current)):
                    self._forms[key] = ("location", town.id)

    def _is_kb(self, entry: tuple[Kind, str]) -> bool:
        kind, value = entry
        return kind == "location" and self.towns[value].kb

    def town(self, place_id: str) -> Town | None:
        return self.towns.get(place_id)

    def lookup(self, text: str) -> Town | None:
        """The town a whole phrase names ("Porissa", "göteborg", "Tampereella"), else None."""
        entry = self._forms.get(tuple(fold(text).split()))
        return self.towns[entry[1]] if entry and entry[0] == "location" else None

    def find(self, text: str) -> list[Span]:
        """Places and foreign origins in `text`, longest match first, left to right."""
        tokens = [(m.start(), m.end(), fold(m.group())) for m in _TOKEN.finditer(text)]
        tokens = [t for t in tokens if t[2]]
        spans: list[Span] = []
        i = 0
        while i < len(tokens):
            for n in range(min(MAX_WORDS, len(tokens) - i), 0, -1):
                key = tuple(word for _, _, part in tokens[i:i + n] for word in part.split())
                entry = self._forms.get(key)
                if entry is None:
                    continue
                start, end = tokens[i][0], tokens[i + n - 1][1]
                level = self.ambiguous.get(" ".join(key), 0)
                if level and not self._cued(text, tokens, i, n, level):
                    continue
                spans.append(Span(start, end, text[start:end], entry[0], entry[1]))
                i += n - 1
                break
            i += 1
        return spans

    @staticmethod
    def _cued(text: str, tokens: list[tuple[int, int, str]], i: int, n: int,
              level: int) -> bool:
        """A common word counts as a place alone, or after a cue; a rarer one also when it is
        capitalised mid-sentence."""
        others = [t[2] for j, t in enumerate(tokens) if not i <= j < i + n]
        if all(word in CUES for word in others):  # the whole message: "Vara", "i Thisted"
            return True
        before = [t[2] for t in tokens[max(0, i - 2):i]]
        if before and before[-1] in STRONG_CUES:
            return True
        if before and before[-1] in WEAK_CUES and (level == 1 or
                                                   before[0] in STRONG_CUES | NOUN_CUES):
            return True
        if level > 1:
            return False
        first = text[tokens[i][0]]
        mid_sentence = i > 0 and not _SENTENCE_END.search(text[: tokens[i][0]])
        return first.isupper() and mid_sentence


@lru_cache(maxsize=1)
def load_gazetteer(path: Path = GAZETTEER_FILE) -> Gazetteer:
    """The shipped gazetteer, read once per process."""
    return Gazetteer(json.loads(path.read_text(encoding="utf-8")))
