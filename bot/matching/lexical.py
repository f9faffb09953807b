"""Lexical layer: interest synonyms, field labels and job titles, matched after folding.

Each user word is compared with the terms of its language in tiers; only the best tier counts,
so "matte" (exact, engineering) is not also read as the prefix "mat" (food, process):

* exact 1.0; inflection (term is a prefix, <= 4 letters left: "mopederna", "autoista") 0.9;
* compound head ("fordonsprogrammet") 0.75, compound tail ("elbilsmekaniker") 0.75;
* shared stem (common prefix >= 5 letters: "koodaamaan" ~ "koodata") 0.5-0.8;
* a typo (rapidfuzz ratio >= 80) 0.8 x ratio; a term of another language (exact) 0.6.

A field's raw score sums, over the user's words, strength x boost / sqrt(fields of the term),
so a word shared by several fields ("hus", "maskiner") counts less for each.
"""

from __future__ import annotations

import math
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

from bot.knowledge.loader import load_knowledge
from bot.knowledge.schema import KnowledgeBase
from bot.labels import LANGUAGES
from bot.matching.text import Token, common_prefix, query_tokens
from bot.settings import language_or_default
from bot.text import fold

STOPWORDS_FILE = Path(__file__).with_name("stopwords.yml")
FUZZY_CUTOFF = 80.0
ENTITY_BOOST = 1.25  # words the NLU marked as `interest` weigh a little more
OTHER_LANGUAGE = 0.6


@dataclass
class _Term:
    fields: set[str] = field(default_factory=set)
    professions: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class LexicalHit:
    """Evidence for one field: raw score, the user's word that weighed most, and how well the
    user's words name the field (`strength`: the best match tier x boost, before a shared
    word is divided among its fields: "maskiner" names both fields it belongs to exactly)."""

    field: str
    score: float
    word: str
    strength: float


@dataclass(frozen=True)
class LexicalResult:
    """Field hits, plus job titles the user named directly ("bilmekaniker")."""

    fields: dict[str, LexicalHit]
    professions: dict[str, tuple[str, float]]


def load_stopwords(path: Path = STOPWORDS_FILE) -> dict[str, frozenset[str]]:
    """Folded stopwords per language."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {lang: frozenset(fold(str(w)) for w in data.get(lang, [])) for lang in LANGUAGES}


class LexicalIndex:
    """Terms per language, built once from the knowledge base."""

    def __init__(self, kb: KnowledgeBase, stopwords: dict[str, frozenset[str]] | None = None):
        self.stopwords = stopwords if stopwords is not None else load_stopwords()
        self.terms: dict[str, dict[str, _Term]] = {lang: {} for lang in LANGUAGES}
        self.phrases: dict[str, list[tuple[tuple[str, ...], str]]] = {
            lang: [] for lang in LANGUAGES}
        for row in kb.synonyms:
            for lang in LANGUAGES:
                for word in getattr(row, lang):
                    self._add(lang, word, {row.field})
        for fld in kb.fields:
            for lang in LANGUAGES:
                self._add_words(lang, fld.label.get(lang), {fld.id})
        for prof in kb.professions:
            for lang in LANGUAGES:
                self._add_words(lang, prof.title.get(lang), set(prof.fields), prof.id)
                for word in getattr(prof.words, lang, []) if prof.words else []:
                    self._add(lang, word, set(prof.fields), prof.id)
        self.keys: dict[str, list[str]] = {lang: sorted(self.terms[lang]) for lang in LANGUAGES}

    def _add(self, lang: str, word: str, fields: set[str], profession: str | None = None) -> None:
        key = fold(word)
        if not key or key in self.stopwords[lang]:
            return
        if " " in key:  # "a-traktor", "3d-skrivare": match as a phrase and as one word
            parts = tuple(p for p in key.split() if p)
            self.phrases[lang].append((parts, key))
            self._add(lang, "".join(parts), fields, profession)
        term = self.terms[lang].setdefault(key, _Term())
        term.fields |= fields
        if profession:
            term.professions.add(profession)

    def _add_words(self, lang: str, text: str, fields: set[str], prof: str | None = None) -> None:
        for word in fold(text).split():
            if len(word) >= 4:
                self._add(lang, word, fields, prof)

    def match_word(self, key: str, lang: str) -> list[tuple[str, float]]:
        """Terms a folded word matches, with strengths; only the best tier is returned."""
        terms = self.terms.get(lang, {})
        if key in terms:
            return [(key, 1.0)]
        if len(key) < 3 or key in self.stopwords.get(lang, ()):
            return []
        found: dict[str, float] = {}
        for term in self.keys.get(lang, ()):
            strength = _partial(key, term)
            if strength > 0:
                found[term] = strength
        if not found and len(key) >= 5:
            best = process.extractOne(key, self.keys.get(lang, ()), scorer=fuzz.ratio,
                                      score_cutoff=FUZZY_CUTOFF)
            if best:
                found[best[0]] = 0.8 * best[1] / 100
        if not found and len(key) >= 4:
            for other in LANGUAGES:
                if other != lang and key in self.terms[other]:
                    return [(f"{other}:{key}", OTHER_LANGUAGE)]
        if not found:
            return []
        top = max(found.values())
        return [(t, s) for t, s in found.items() if s >= top - 0.05]

    def _term(self, ref: str, lang: str) -> _Term:
        if ":" in ref:
            other, key = ref.split(":", 1)
            return self.terms[other][key]
        return self.terms[lang][ref]

    def score(self, toks: list[Token], lang: str) -> LexicalResult:
        """Raw lexical score per field for the words of one message."""
        lang = language_or_default(lang)
        totals: dict[str, float] = defaultdict(float)
        best: dict[str, tuple[float, str]] = {}
        named: dict[str, float] = defaultdict(float)
        professions: dict[str, tuple[str, float]] = {}
        matches = [self.match_word(t.key, lang) for t in toks]
        keys = [t.key for t in toks]
        for parts, phrase in self.phrases[lang]:  # multiword terms: "a traktor"
            for i in range(len(keys) - len(parts) + 1):
                if tuple(keys[i:i + len(parts)]) == parts:
                    matches[i] = [(phrase, 1.0)]
        for tok, found in zip(toks, matches, strict=True):
            per_field: dict[str, float] = {}
            for ref, strength in found:
                term = self._term(ref, lang)
                weight = strength * tok.boost / math.sqrt(len(term.fields))
                for fid in term.fields:
                    per_field[fid] = max(per_field.get(fid, 0.0), weight)
                    named[fid] = max(named[fid], strength * tok.boost)
                for prof in term.professions:
                    if strength >= 0.85 and strength > professions.get(prof, ("", 0.0))[1]:
                        professions[prof] = (tok.surface, strength)
            for fid, weight in per_field.items():
                totals[fid] += weight
                if weight > best.get(fid, (0.0, ""))[0]:
                    best[fid] = (weight, tok.surface)
        hits = {fid: LexicalHit(fid, total, best[fid][1], named[fid])
                for fid, total in totals.items()}
        return LexicalResult(hits, professions)


def normalised_scores(found: LexicalResult, field_ids: Sequence[str]) -> list[float]:
    """L(f) = lex(f) / max(1, max_g lex(g)) for each field, in the order of `field_ids`."""
    raw = [found.fields[f].score if f in found.fields else 0.0 for f in field_ids]
    top = max(1.0, max(raw, default=0.0))
    return [score / top for score in raw]


_LOCK = threading.Lock()
_INDEX: tuple[KnowledgeBase, LexicalIndex] | None = None


def lexical_index(kb: KnowledgeBase | None = None) -> LexicalIndex:
    """The process-wide index of the knowledge base (the one on disk unless given), rebuilt
    only when the knowledge base changed."""
    global _INDEX
    base = kb if kb is not None else load_knowledge()
    with _LOCK:
        if _INDEX is None or _INDEX[0] is not base:
            _INDEX = (base, LexicalIndex(base))
        return _INDEX[1]


def lexical_fields(text: str, interests: Iterable[str] = (), lang: str | None = None,
                   kb: KnowledgeBase | None = None) -> list[str]:
    """Field ids the words name, best first: the matcher's "lexical" mode without its
    semantic index, so a caller that needs only fields (the counsellor summaries) loads
    neither the model nor torch. Same ranking as `Matcher.match(..., mode="lexical")`."""
    base = kb if kb is not None else load_knowledge()
    toks = query_tokens(text, interests, ENTITY_BOOST)
    if not toks:
        return []
    field_ids = [f.id for f in base.fields]
    scores = normalised_scores(lexical_index(base).score(toks, language_or_default(lang)),
                               field_ids)
    order = sorted(range(len(field_ids)), key=lambda i: -scores[i])  # stable: ties keep order
    return [field_ids[i] for i in order if scores[i] > 0]


def _partial(key: str, term: str) -> float:
    """Strength of a non-exact match between a user word and a term (0 when none)."""
    if len(term) >= 3 and key.startswith(term):
        rest = len(key) - len(term)
        strength = 0.9 if rest <= 4 else 0.75
        return strength - 0.1 if len(term) == 3 else strength
    if len(term) >= 4 and key.endswith(term):
        return 0.75
    if len(term) >= 6 and term in key:
        return 0.6
    shared = common_prefix(key, term)
    if shared >= 5 and shared >= 0.6 * min(len(key), len(term)):
        return 0.5 + 0.3 * shared / min(len(key), len(term))
    return 0.0
