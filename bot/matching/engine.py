"""Hybrid interest matcher: lexical synonyms + the project's static embeddings.

Score of field f (both parts lie in [0, 1]):

    L(f) = lex(f) / max(1, max_g lex(g))          lexical raw score, see lexical.py
    S(f) = softmax_g(20 * s(g))[f]                 s(g) = max cosine of the query to field g's
                                                   text and to the texts of g's professions
    hybrid(f) = 0.6 * L(f) + 0.4 * S(f)

20 is the MultipleNegativesRankingLoss scale the model was trained with, so S is the model's
own field probability. Lexical-only ranks by L (fields with L > 0), semantic-only by S.
Programmes, professions and companies come from the top fields via the knowledge-base links.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Protocol, TypeVar

import numpy as np

from bot.knowledge.geo import haversine_km
from bot.knowledge.loader import load_knowledge
from bot.knowledge.queries import companies_for, place_by_id, professions_for
from bot.knowledge.schema import ADULT_LEVEL, KnowledgeBase, Place
from bot.labels import LANGUAGES
from bot.matching.lexical import ENTITY_BOOST, LexicalResult, lexical_index, normalised_scores
from bot.matching.reasons import reason
from bot.matching.semantic import SemanticIndex
from bot.matching.text import query_tokens
from bot.matching.types import (
    Audience,
    CompanyMatch,
    FieldMatch,
    MatchResult,
    Mode,
    ProfessionMatch,
    ProgrammeMatch,
)
from bot.settings import get_settings, language_or_default

W_LEX, W_SEM = 0.6, 0.4
SCALE = 20.0
TOP_FIELD_SHARE = 0.5  # derive items from fields scoring >= half of the best, at most 3
TOP_FIELDS = 3
class _Identified(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=_Identified)
MIN_ITEMS = 2  # fewest programmes / professions / companies worth showing
WIDER_FIELD_SHARE = 0.1
NAMED_JOB_BONUS = 0.5  # the user named the job itself ("bilmekaniker")
NAMED_PROGRAMME_BONUS = 0.2  # the programme leads to a job the user named
OTHER_FIELD = 0.9  # a record reached through one of its other fields, not its main (first) one
RECORD_SIM = 0.2  # weight of the query's similarity to the record's own text
NEAR_KM = 150  # companies further away come after all nearer ones, however well they fit
# Within NEAR_KM a company's fit (0 the job the user named, 1 one of their top jobs, 2 their
# main field, 3 another field) counts as this many km more travel per step: a welding firm
# 50 km away comes before a toy maker next door, one 100 km away does not.
FIT_STEP_KM = 30.0
FIT_PROFESSIONS = 3  # a company employing one of the top jobs fits best


def _default_var_dir() -> Path:
    return get_settings().var_dir


class Matcher:
    """Loads the lexical index, the model and the cached embeddings once; `match` is cheap."""

    def __init__(self, kb: KnowledgeBase | None = None, var_dir: Path | None = None,
                 nlu_dir: Path | None = None) -> None:
        self.kb = kb if kb is not None else load_knowledge()
        self.lexical = lexical_index(self.kb)
        self.semantic = SemanticIndex(self.kb, Path(var_dir or _default_var_dir()), nlu_dir)
        self.field_ids = [f.id for f in self.kb.fields]
        self.labels = {f.id: f.label for f in self.kb.fields}
        # Rows of each field's own text and of its professions' texts, per language.
        self._field_rows: dict[str, list[np.ndarray]] = {}
        for lang in LANGUAGES:
            rows = []
            for fid in self.field_ids:
                idx = [self.semantic.row("field", fid, lang)]
                idx += [self.semantic.row("profession", p.id, lang)
                        for p in self.kb.professions if fid in p.fields]
                rows.append(np.array([i for i in idx if i is not None], dtype=np.int64))
            self._field_rows[lang] = rows

    def match(self, text: str, interests: Iterable[str] = (), lang: str | None = None,
              country: str | None = None, place: str | None = None, mode: Mode = "hybrid",
              limit: int = 5, audience: Audience | None = None) -> MatchResult:
        """Rank fields, then programmes, professions and companies, for one user message
        (in the default language unless `lang` says otherwise). `audience`: a young user gets
        no adult-only programme while there is another to offer, an adult gets those first;
        None ranks by score alone."""
        lang = lang or get_settings().default_language
        lang_m = language_or_default(lang)
        interests = [i for i in interests if i and i.strip()]
        origin = place_by_id(place, self.kb)
        if country is None and origin is not None:
            country = origin.country
        toks = query_tokens(text, interests, ENTITY_BOOST)
        if not toks:  # nothing but spaces, emojis or punctuation: no evidence at all
            return MatchResult(lang=lang, country=country, mode=mode)
        lex = self.lexical.score(toks, lang_m) if mode != "semantic" else LexicalResult({}, {})
        sims = None
        if mode != "lexical":
            query = " ".join([text, *interests])
            sims = self.semantic.similarities(self.semantic.embed(query))
        fields = self._rank_fields(lex, sims, lang_m, lang, mode)
        top = [f for f in fields[:TOP_FIELDS] if fields and f.score >= TOP_FIELD_SHARE *
               fields[0].score]
        # Fields with a real share of the evidence, to fill a list that the top fields
        # leave shorter than MIN_ITEMS; near-zero fields would only add noise.
        wider = [f for f in fields[:TOP_FIELDS] if fields and f.score >= WIDER_FIELD_SHARE *
                 fields[0].score]

        def ranked(build: Callable[[list[FieldMatch]], list[T]]) -> list[T]:
            # A field with one programme (or no company nearby) would leave a pupil with a
            # single option: then the next-best fields, up to TOP_FIELDS, fill the list.
            items = build(top)
            if len(items) < MIN_ITEMS and wider != top:
                seen = {item.id for item in items}
                items += [i for i in build(wider) if i.id not in seen]
            return items[:limit]

        professions = ranked(lambda fs: self._professions(fs, lex, sims, lang_m, lang, country))
        named = set(lex.professions)
        jobs = {p.id for p in professions[:FIT_PROFESSIONS]} | named
        programmes = ranked(lambda fs: self._programmes(fs, lex, sims, lang_m, lang, country,
                                                        audience))
        if not programmes and audience == "young":
            # Adult-only programmes left out left nothing: they beat no programme at all.
            programmes = ranked(lambda fs: self._programmes(fs, lex, sims, lang_m, lang, country))
        return MatchResult(
            lang=lang, country=country, mode=mode, fields=fields,
            programmes=programmes,
            professions=professions,
            companies=ranked(lambda fs: self._companies(fs, country, origin, named, jobs)),
        )

    def _rank_fields(self, lex: LexicalResult, sims: np.ndarray | None, lang_m: str, lang: str,
                     mode: Mode) -> list[FieldMatch]:
        lexical = np.array(normalised_scores(lex, self.field_ids))
        semantic = np.zeros(len(self.field_ids))
        if sims is not None:
            best = np.array([sims[rows].max() for rows in self._field_rows[lang_m]])
            exp = np.exp(SCALE * (best - best.max()))
            semantic = exp / exp.sum()
        if mode == "lexical":
            scores = lexical
        elif mode == "semantic":
            scores = semantic
        else:
            scores = W_LEX * lexical + W_SEM * semantic
        out = []
        for i in np.argsort(-scores, kind="stable"):
            if scores[i] <= 0:
                continue
            fid = self.field_ids[i]
            label = self.labels[fid].get(lang)
            hit = lex.fields.get(fid)
            if hit is not None and W_LEX * lexical[i] >= W_SEM * semantic[i] * 0.5:
                why = reason(lang, "lexical", label, hit.word)
            else:
                why = reason(lang, "semantic", label)
            out.append(FieldMatch(fid, label, round(float(scores[i]), 4), why,
                                  round(float(lexical[i]), 4), round(float(semantic[i]), 4)))
        return out

    def _sim(self, sims: np.ndarray | None, kind: str, rid: str, lang: str) -> float:
        if sims is None or (row := self.semantic.row(kind, rid, lang)) is None:
            return 0.0
        return max(0.0, float(sims[row]))

    @staticmethod
    def _via(top: list[FieldMatch], fields: Sequence[str]) -> tuple[FieldMatch, float] | None:
        """The top field a record is reached through, and the record's base score: the
        field's score, in full for the record's first (main) field, else OTHER_FIELD of it.
        The best such field wins; None when the record is in none of the top fields."""
        best: tuple[FieldMatch, float] | None = None
        for fm in top:
            if fm.id in fields:
                score = fm.score * (1.0 if fields[0] == fm.id else OTHER_FIELD)
                if score > (best[1] if best else 0.0):
                    best = (fm, score)
        return best

    def _programmes(self, top: list[FieldMatch], lex: LexicalResult, sims: np.ndarray | None,
                    lang_m: str, lang: str, country: str | None,
                    audience: Audience | None = None) -> list[ProgrammeMatch]:
        """Programmes in the top fields, best first; for a young user without the adult-only
        ones, for an adult with those first."""
        out = []
        adult_only: set[str] = set()
        for prog in self.kb.programmes:
            if country is not None and prog.country != country:
                continue
            if prog.level == ADULT_LEVEL:
                if audience == "young":
                    continue
                adult_only.add(prog.id)
            found = self._via(top, prog.fields)
            if found is None:
                continue
            via, score = found
            score += RECORD_SIM * self._sim(sims, "programme", prog.id, lang_m)
            named = [lex.professions[p] for p in prog.professions if p in lex.professions]
            score += NAMED_PROGRAMME_BONUS if named else 0.0
            out.append(ProgrammeMatch(prog.id, prog.name.get(lang), prog.country,
                                      round(score, 4), via.reason, tuple(prog.fields)))
        first = adult_only if audience == "adult" else set()
        out.sort(key=lambda m: (m.id not in first, -m.score, m.id))
        return out

    def _professions(self, top: list[FieldMatch], lex: LexicalResult, sims: np.ndarray | None,
                     lang_m: str, lang: str, country: str | None) -> list[ProfessionMatch]:
        out: list[ProfessionMatch] = []
        if not top:
            return out
        for prof in professions_for([f.id for f in top], country, self.kb):
            found = self._via(top, prof.fields)
            if found is None:
                continue
            via, score = found
            title = prof.title.get(lang)
            score += RECORD_SIM * self._sim(sims, "profession", prof.id, lang_m)
            why = via.reason
            if prof.id in lex.professions:
                word, strength = lex.professions[prof.id]
                score += NAMED_JOB_BONUS * strength
                why = reason(lang, "lexical", title, word)
            out.append(ProfessionMatch(prof.id, title, round(score, 4), why, tuple(prof.fields)))
        out.sort(key=lambda m: (-m.score, m.id))
        return out

    def _companies(self, top: list[FieldMatch], country: str | None, origin: Place | None,
                   named: set[str], jobs: set[str]) -> list[CompanyMatch]:
        """Companies in the top fields: near ones (within NEAR_KM) first, ordered by distance
        plus FIT_STEP_KM per step of fit; without a place, by fit, then score."""
        out: list[CompanyMatch] = []
        if not top:
            return out
        top_ids = {f.id for f in top}
        for comp in companies_for(top_ids, country, self.kb):
            found = self._via(top, comp.fields)
            if found is None:
                continue
            via, score = found
            where = self.kb.place(comp.municipality)
            distance = None
            if origin is not None and where is not None:
                distance = round(haversine_km(origin, where), 1)
            employs = {p for link in comp.links if link.field in top_ids
                       for p in link.professions}
            fit = (0 if employs & named else 1 if employs & jobs
                   else 2 if top[0].id in comp.fields else 3)
            out.append(CompanyMatch(comp.id, comp.name, comp.municipality, round(score, 4),
                                    via.reason, tuple(comp.fields), distance, comp.site, fit))
        if origin is not None:
            out.sort(key=lambda m: (m.distance_km is None or m.distance_km > NEAR_KM,
                                    (math.inf if m.distance_km is None else m.distance_km)
                                    + FIT_STEP_KM * m.fit, m.id))
        else:
            out.sort(key=lambda m: (m.fit, -m.score, m.id))
        return out
